/**
 * Registered-claim rules (RFC 7519 §4.1, RFC 8725 §3.8-3.11, RFC 9068), applied after the
 * signature has been verified. The same rules serve every algorithm.
 */
import { normaliseType } from "../policy/config";
import { reject, type Rejection } from "../policy/reasons";
import type { JsonObject, JwsHeader } from "./token";

export interface ClaimRules {
	readonly audience: readonly string[] | null;
	/** Seconds. */
	readonly clockTolerance: number;
	readonly maxTokenAge: number | null;
	readonly type: string | null;
}

function isTime(value: unknown): value is number {
	return typeof value === "number" && Number.isFinite(value);
}

/** A claim that, when present, must be a NumericDate; undefined when absent. */
function timeClaim(payload: JsonObject, name: "exp" | "nbf" | "iat"): number | undefined | Rejection {
	const value = payload[name];
	if (value === undefined) return undefined;
	return isTime(value) ? value : reject("invalid_claim", `The ${name} claim must be a number`);
}

function isRejection(value: unknown): value is Rejection {
	return typeof value === "object" && value !== null && (value as Rejection).ok === false;
}

function checkAudience(payload: JsonObject, accepted: readonly string[]): Rejection | null {
	const aud = payload.aud;
	if (aud === undefined) return reject("missing_claim", "The token has no aud claim");
	const values = typeof aud === "string" ? [aud] : aud;
	if (!Array.isArray(values) || !values.every(v => typeof v === "string")) {
		return reject("invalid_claim", "The aud claim must be a string or an array of strings");
	}
	return values.some(v => accepted.includes(v)) ? null : reject("audience_mismatch");
}

/** The time claims of a token whose claims passed `checkClaims` once. */
export interface TokenTimes {
	readonly exp: number;
	readonly nbf: number | undefined;
	readonly iat: number | undefined;
}

/** Of claims that passed `checkClaims` (so exp is there and each present one is a number). */
export function tokenTimes(payload: JsonObject): TokenTimes {
	return { exp: payload.exp as number, nbf: payload.nbf as number | undefined, iat: payload.iat as number | undefined };
}

/**
 * The rules that depend on the clock. The only ones a token verified earlier can fail later:
 * the rest depend on the token alone, and the token is the same.
 */
export function checkTimes(times: TokenTimes, rules: ClaimRules, nowSeconds: number): Rejection | null {
	const { exp, nbf, iat } = times;
	const tolerance = rules.clockTolerance;
	if (nowSeconds >= exp + tolerance) return reject("expired");
	if (nbf !== undefined && nbf > nowSeconds + tolerance) return reject("not_yet_valid");
	if (iat !== undefined && iat > nowSeconds + tolerance) return reject("issued_in_future");
	if (rules.maxTokenAge !== null) {
		if (iat === undefined) return reject("missing_claim", "The token has no iat claim");
		if (nowSeconds - iat > rules.maxTokenAge + tolerance) return reject("too_old");
	}
	return null;
}

/** `nowSeconds` is passed in so that a test (and a cached verdict) can use its own clock. */
export function checkClaims(header: JwsHeader, payload: JsonObject, rules: ClaimRules, nowSeconds: number): Rejection | null {
	const exp = timeClaim(payload, "exp");
	if (isRejection(exp)) return exp;
	if (exp === undefined) return reject("missing_claim", "The token has no exp claim");
	const nbf = timeClaim(payload, "nbf");
	if (isRejection(nbf)) return nbf;
	const iat = timeClaim(payload, "iat");
	if (isRejection(iat)) return iat;
	for (const name of ["sub", "jti"] as const) {
		if (payload[name] !== undefined && typeof payload[name] !== "string") {
			return reject("invalid_claim", `The ${name} claim must be a string`);
		}
	}

	const timing = checkTimes({ exp, nbf, iat }, rules, nowSeconds);
	if (timing) return timing;
	if (rules.audience !== null) {
		const audience = checkAudience(payload, rules.audience);
		if (audience) return audience;
	}
	if (rules.type !== null && (typeof header.typ !== "string" || normaliseType(header.typ) !== rules.type)) {
		return reject("type_mismatch");
	}
	return null;
}
