/**
 * GET a JSON document with a deadline on the whole exchange (connect to last byte) and a size
 * cap. jwks-rsa's own request has neither: a key server that trickles its answer or sends an
 * endless body must cost us one bounded failure, not a stuck request or our memory.
 */

export const MAX_DOCUMENT_BYTES = 1024 * 1024;

export class FetchError extends Error {
	constructor(
		message: string,
		readonly status?: number
	) {
		super(message);
		this.name = "FetchError";
	}
}

async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer> {
	const reader = body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > maxBytes) {
			await reader.cancel().catch(() => undefined);
			throw new FetchError(`the answer is larger than ${maxBytes} bytes`);
		}
		chunks.push(value);
	}
	return Buffer.concat(chunks);
}

/** `signal` carries the caller's deadline, so one deadline can cover several requests. */
export async function fetchJson(url: string, signal: AbortSignal, maxBytes = MAX_DOCUMENT_BYTES): Promise<unknown> {
	let text: string;
	try {
		const res = await fetch(url, { signal, redirect: "manual", headers: { accept: "application/json" } });
		if (res.status !== 200) {
			await res.body?.cancel().catch(() => undefined);
			throw new FetchError(`${url} answered HTTP ${res.status}`, res.status);
		}
		if (Number(res.headers.get("content-length")) > maxBytes) {
			await res.body?.cancel().catch(() => undefined);
			throw new FetchError(`the answer of ${url} is larger than ${maxBytes} bytes`);
		}
		text = res.body ? (await readCapped(res.body, maxBytes)).toString("utf8") : "";
	} catch (err) {
		if (err instanceof FetchError) throw err;
		if (signal.aborted) throw new FetchError(`${url} did not answer in time`);
		throw new FetchError(`${url} could not be fetched: ${(err as Error).message}`);
	}
	try {
		return JSON.parse(text);
	} catch {
		throw new FetchError(`the answer of ${url} is not JSON`);
	}
}
