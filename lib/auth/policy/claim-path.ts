/**
 * Dotted claim paths (`realm_access.roles`, `org.id`) as declarations and JWT_ROLES_CLAIM name
 * them, and reading them out of verified claims. Claims are attacker-shaped JSON: only own
 * properties of plain objects are followed, so a path never reaches a prototype, an array
 * element or a function, whatever the token contains.
 */
import type { JsonObject } from "../jws/token";

export interface ClaimPath {
	/** As declared: also tried as one claim name, for namespaced claims such as Auth0's `https://example.com/roles`. */
	readonly name: string;
	readonly segments: readonly string[];
}

/** Names that mean something to JavaScript objects; no issuer's claim needs them. */
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

/** The compiled path, or null when it is not one (empty segment, forbidden name, not a string). */
export function parseClaimPath(path: unknown): ClaimPath | null {
	if (typeof path !== "string" || path === "" || path.length > 256) return null;
	const segments = path.split(".");
	if (segments.some(segment => segment === "" || FORBIDDEN.has(segment))) return null;
	return { name: path, segments };
}

function isPlainObject(value: unknown): value is JsonObject {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The claim at `path`, or undefined when any step is missing or not a plain object. */
export function claimAt(claims: JsonObject, path: ClaimPath): unknown {
	if (path.segments.length > 1 && Object.hasOwn(claims, path.name)) return claims[path.name];
	let value: unknown = claims;
	for (const segment of path.segments) {
		if (!isPlainObject(value) || !Object.hasOwn(value, segment)) return undefined;
		value = value[segment];
	}
	return value;
}

/** A claim holds `expected` when it is that very value (no conversion) or an array containing it. */
export function claimHolds(claim: unknown, expected: string | number | boolean): boolean {
	return claim === expected || (Array.isArray(claim) && claim.includes(expected));
}
