/**
 * Compact JWS -> header, payload, signing input and signature (base64url), or a Rejection.
 * Total: every string in, never a throw. Nothing here is trusted until the signature is checked.
 */
import { reject, type Rejection } from "../policy/reasons";

export const MAX_TOKEN_LENGTH = 8 * 1024;
const MAX_KID_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Header members that would let the token pick its own key or change how it is processed. */
const REFUSED_HEADERS = ["crit", "b64", "zip", "jwk", "jku", "x5u", "x5c"] as const;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export type JsonObject = Record<string, unknown>;

export interface JwsHeader extends JsonObject {
	readonly alg: string;
	readonly kid?: string;
	readonly typ?: string;
}

export interface ParsedToken {
	readonly ok: true;
	readonly header: JwsHeader;
	readonly payload: JsonObject;
	/** `base64url(header) "." base64url(payload)`, exactly as received. */
	readonly signingInput: string;
	/**
	 * The signature as received: canonical base64url, decoded where it is checked (a worker
	 * thread, signature-threads.ts), so the event loop never copies its bytes.
	 */
	readonly signature: string;
	/** Length of the decoded signature in bytes. */
	readonly signatureBytes: number;
}

function isObject(value: unknown): value is JsonObject {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeJson(segment: string): JsonObject | null {
	try {
		const value: unknown = JSON.parse(utf8.decode(Buffer.from(segment, "base64url")));
		return isObject(value) ? value : null;
	} catch {
		return null;
	}
}

export const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Base64url has spare bits in its last character; Buffer ignores them, so `...A` and `...B`
 * can decode to the same signature. Only the canonical spelling of a signature is accepted
 * (spare bits zero, no impossible length), so a changed character can never still verify.
 * Returns the decoded length in bytes, or null. `segment` has passed the BASE64URL test.
 */
function canonicalLength(segment: string): number | null {
	const rest = segment.length % 4;
	if (rest === 1) return null;
	if (rest !== 0) {
		const spare = rest === 2 ? 0b1111 : 0b11;
		if ((BASE64URL_ALPHABET.indexOf(segment.charAt(segment.length - 1)) & spare) !== 0) return null;
	}
	return Math.floor((segment.length * 3) / 4);
}

type HeaderRead = { readonly ok: true; readonly header: JwsHeader } | Rejection;

function readHeader(head: string): HeaderRead {
	if (!BASE64URL.test(head)) return reject("malformed", "Every part of the token must be non-empty base64url");
	const header = decodeJson(head);
	if (header === null) return reject("malformed", "The token header is not a JSON object");
	if (typeof header.alg !== "string") return reject("malformed", "The token header has no alg");
	for (const name of REFUSED_HEADERS) {
		if (name in header) return reject("unsupported_header");
	}
	if (header.kid !== undefined && (typeof header.kid !== "string" || header.kid.length === 0 || header.kid.length > MAX_KID_LENGTH)) {
		return reject("malformed", "The token's kid must be a short string");
	}
	if (header.typ !== undefined && typeof header.typ !== "string") {
		return reject("malformed", "The token's typ must be a string");
	}
	return { ok: true, header: Object.freeze(header as JwsHeader) };
}

const KNOWN_HEADERS_MAX = 64;

/**
 * Headers read before, by their base64url text. An issuer's tokens share a handful of headers
 * (one per key), so a token's header is usually read once for many tokens. The result is a
 * function of the text alone; a header is frozen, as it is shared. Bounded: a stream of
 * distinct headers (a flood of made-up kids) just starts the map again.
 */
export class KnownHeaders {
	private readonly known = new Map<string, HeaderRead>();

	read(head: string): HeaderRead {
		const known = this.known.get(head);
		if (known !== undefined) return known;
		const read = readHeader(head);
		if (!read.ok) return read;
		if (this.known.size >= KNOWN_HEADERS_MAX) this.known.clear();
		this.known.set(head, read);
		return read;
	}
}

/** `headers`: the headers this verifier has read before; without it, every header is read afresh. */
export function parseToken(token: string, headers?: KnownHeaders): ParsedToken | Rejection {
	if (token.length > MAX_TOKEN_LENGTH) return reject("token_too_large");
	const parts = token.split(".");
	if (parts.length !== 3) return reject("malformed", "The token must have exactly three parts");
	const [head, body, sig] = parts as [string, string, string];
	if (!BASE64URL.test(body) || !BASE64URL.test(sig)) return reject("malformed", "Every part of the token must be non-empty base64url");
	const signatureBytes = canonicalLength(sig);
	if (signatureBytes === null) return reject("malformed", "The signature is not canonical base64url");

	const read = headers === undefined ? readHeader(head) : headers.read(head);
	if (!read.ok) return read;
	const payload = decodeJson(body);
	if (payload === null) return reject("malformed", "The token payload is not a JSON object");

	return { ok: true, header: read.header, payload, signingInput: `${head}.${body}`, signature: sig, signatureBytes };
}
