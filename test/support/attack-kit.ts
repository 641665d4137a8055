/**
 * Building hostile tokens and checking the gateway's answer to them: exact status, body `type`
 * and `data.reason`, an RFC 6750 challenge of the right shape, and no echo of the token.
 */
import { signBytes, type SigningKey } from "../../lib/dev-issuer/signer";
import type { HttpAnswer } from "./gateway";

/** Far enough ahead that no test run reaches it. */
export const FAR_FUTURE = 4_102_444_800;

export function nowSeconds(): number {
	return Math.floor(Date.now() / 1000);
}

/** base64url of a string, raw bytes, or the JSON of anything else. */
export function b64(value: unknown): string {
	if (Buffer.isBuffer(value)) return value.toString("base64url");
	return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** A compact JWS over segments given as-is, signed with `key` (whatever the header says). */
export function signSegments(key: SigningKey, head: string, body: string): string {
	const input = `${head}.${body}`;
	return `${input}.${signBytes(key.alg, input, key.privateKey).toString("base64url")}`;
}

/** Valid registered claims for `issuer`, with overrides (undefined removes a claim). */
export function claimsFor(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
	const base: Record<string, unknown> = { iss: issuer, sub: "mallory", iat: nowSeconds(), exp: nowSeconds() + 600, ...extra };
	for (const [name, value] of Object.entries(base)) if (value === undefined) delete base[name];
	return base;
}

/** Every 401 challenge names the RFC 9728 metadata, wherever PUBLIC_URL puts it. */
export const RESOURCE_METADATA = ', resource_metadata="[^"]+/\\.well-known/oauth-protected-resource"';
const CHALLENGE = new RegExp(`^Bearer realm="api"(, error="invalid_token", error_description="[^"]*")?${RESOURCE_METADATA}$`);
const BARE_CHALLENGE = new RegExp(`^Bearer realm="api"${RESOURCE_METADATA}$`);

/** No response body or header contains the token (nor any long part of it). */
export function expectNoEcho(res: HttpAnswer, token: string): void {
	const everything = res.text + JSON.stringify([...res.headers]);
	const pieces = [token, ...token.split(/[.\s]/)].filter(piece => piece.length >= 16);
	for (const piece of pieces) expect(everything).not.toContain(piece);
}

export interface Expected {
	readonly status: number;
	readonly type: string;
	readonly reason: string;
}

/** The exact answer for a rejected token, its challenge, and no echo of it. */
export function expectAnswer(res: HttpAnswer, expected: Expected, token: string): void {
	expect({ status: res.status, type: res.body.type, reason: (res.body.data as { reason?: unknown } | undefined)?.reason }).toEqual(expected);
	expect(res.body).toMatchObject({ code: expected.status, type: expected.type, data: { reason: expected.reason } });
	const challenge = res.headers.get("www-authenticate");
	if (expected.status === 401) {
		expect(challenge).toMatch(CHALLENGE);
		if (expected.type === "INVALID_TOKEN") expect(challenge).toContain('error="invalid_token"');
		else expect(challenge).toMatch(BARE_CHALLENGE);
	}
	expectNoEcho(res, token);
}

const SCOPE_DESCRIPTION = "The token lacks a scope this action requires";

/** 403 with exactly this body; the challenge only for INSUFFICIENT_SCOPE, naming `scope`. */
export function expectForbidden(res: HttpAnswer, token: string, requirement: string, scope?: string): void {
	const type = scope === undefined ? "ACCESS_DENIED" : "INSUFFICIENT_SCOPE";
	const reason = scope === undefined ? "access_denied" : "insufficient_scope";
	expect({ status: res.status, body: res.body }).toEqual({
		status: 403,
		body: { name: "ForbiddenError", message: "Forbidden", code: 403, type, data: { reason, requirement, ...(scope === undefined ? {} : { scope }) } }
	});
	const challenge = scope === undefined ? null : `Bearer realm="api", error="insufficient_scope", error_description="${SCOPE_DESCRIPTION}", scope="${scope}"`;
	expect(res.headers.get("www-authenticate")).toBe(challenge);
	expectNoEcho(res, token);
}

export const invalid = (reason: string): Expected => ({ status: 401, type: "INVALID_TOKEN", reason });
export const NO_TOKEN: Expected = { status: 401, type: "NO_TOKEN", reason: "no_token" };

/** Any method, any headers, an optional body; the answer parsed like `get`. */
export async function send(method: string, url: string, headers: Record<string, string> = {}, payload?: string): Promise<HttpAnswer> {
	const res = await fetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
	const text = await res.text();
	let body: Record<string, unknown> = {};
	try {
		const parsed: unknown = JSON.parse(text);
		if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
	} catch {
		// not JSON
	}
	return { status: res.status, headers: res.headers, body, text };
}

/**
 * A token of `key` whose signature starts with a zero byte, signed again with fresh claims
 * until it does (about 1 in 256 RSA signatures): the spelling a verifier must not also accept
 * without that byte.
 */
export function tokenWithLeadingZero(key: SigningKey, claims: () => Record<string, unknown>): string {
	for (let attempt = 0; attempt < 20_000; attempt++) {
		const head = b64({ alg: key.alg, typ: "JWT", kid: key.kid });
		const token = signSegments(key, head, b64({ ...claims(), jti: `attempt-${attempt}` }));
		if (Buffer.from(token.split(".")[2] as string, "base64url")[0] === 0) return token;
	}
	throw new Error("no signature with a leading zero byte in 20,000 attempts");
}

/** The same token with its signature's bytes changed by `change`. */
export function withSignatureBytes(token: string, change: (bytes: Buffer) => Buffer): string {
	const [head, body, signature] = token.split(".") as [string, string, string];
	return `${head}.${body}.${change(Buffer.from(signature, "base64url")).toString("base64url")}`;
}
