/**
 * Scopes a token grants: the space-separated `scope` claim (RFC 8693 §4.2, RFC 9068 §2.2.3)
 * or `scp` (Okta, Entra ID) as an array or a space-separated string.
 */
import type { JsonObject } from "../jws/token";

function words(value: unknown): string[] {
	if (typeof value === "string") return value.split(" ").filter(Boolean);
	if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
	return [];
}

export function grantedScopes(claims: JsonObject): Set<string> {
	return new Set([...(typeof claims.scope === "string" ? words(claims.scope) : []), ...words(claims.scp)]);
}

/** The required scopes the token lacks (empty when it has them all). */
export function missingScopes(claims: JsonObject, required: readonly string[]): string[] {
	if (required.length === 0) return [];
	const granted = grantedScopes(claims);
	return required.filter(scope => !granted.has(scope));
}
