/**
 * Bounds on what a request costs before anything is known about its sender: a body nobody asked
 * for is never read into memory and must arrive within a deadline, and a token put in the query
 * string (RFC 6750 §2.3, which the gateway does not accept) is cut from the URL before it can
 * reach an action's params, a span or a log line.
 */
import type { IncomingRequest, GatewayResponse } from "moleculer-web";

/** ms a request body may take to arrive, from the moment the request's headers are read. */
export const DEFAULT_BODY_READ_TIMEOUT_MS = 10_000;

const QUERY_TOKEN = /(?<=[?&])access_token=[^&]*(&|$)/g;

/** The URL without `access_token` query parameters; the same string when it has none. */
export function withoutQueryToken(url: string): string {
	if (!url.includes("access_token=")) return url;
	return url.replace(QUERY_TOKEN, "").replace(/[?&]$/, "");
}

function declaresBody(req: IncomingRequest): boolean {
	const { "content-length": length, "transfer-encoding": encoding } = req.headers;
	return encoding !== undefined || (length !== undefined && length !== "0");
}

/**
 * A request that declares a body must have sent all of it within `timeoutMs`, or its connection
 * is closed (with a 408 when nothing was answered yet). Node's own `requestTimeout` is checked
 * only every 30 s and defaults to 5 minutes: 2,000 trickling clients held their sockets and
 * buffers that long. A body that has fully arrived is never cut, read or not.
 */
export function armBodyDeadline(req: IncomingRequest, res: GatewayResponse, timeoutMs: number): void {
	if (!declaresBody(req)) return;
	const timer = setTimeout(() => {
		if (req.complete) return;
		const socket = req.socket;
		if (res.headersSent) return void socket.destroy();
		const body = JSON.stringify({ name: "RequestTimeoutError", message: "The request body did not arrive in time", code: 408, type: "BODY_TIMEOUT" });
		res.writeHead(408, { "Content-Type": "application/json; charset=utf-8", Connection: "close" });
		res.end(body, () => socket.destroy());
	}, timeoutMs);
	timer.unref();
	// Not the request's "close": that comes when the answer is sent, while the body may still trickle in.
	const socket = req.socket;
	const done = () => {
		clearTimeout(timer);
		socket.off("close", done);
	};
	req.once("end", done);
	socket.once("close", done);
}
