/**
 * Each caller of a kept verdict gets its own copy of the claims: a service may change
 * ctx.meta.user, and the kept original must stay as verified.
 */
import type { VerifiedToken } from "../jws/verifier";

/**
 * Claims are parsed JSON: plain objects, arrays and primitives, so a direct copy is exact (and
 * cheaper than structuredClone, which would cost more than the rest of a cache hit). The
 * spread copies a flat object in one step and defines each property, so an own `__proto__`
 * claim stays a plain property of the copy (an assignment would set the copy's prototype);
 * only nested values are then walked, and the own property shadows the setter. The walk keeps
 * its own stack: a token under 8 KiB can nest thousands of levels, deeper than a recursive
 * copy's call stack allows (verifier.property.spec.ts builds such a token).
 */
function copyJson<T>(value: T): T {
	if (typeof value !== "object" || value === null) return value;
	const root = shallowCopy(value as object);
	const unwalked: Record<string, unknown>[] = [root];
	for (let copy = unwalked.pop(); copy !== undefined; copy = unwalked.pop()) {
		for (const name in copy) {
			const inner = copy[name];
			if (typeof inner !== "object" || inner === null) continue;
			const innerCopy = shallowCopy(inner);
			copy[name] = innerCopy;
			unwalked.push(innerCopy);
		}
	}
	return root as T;
}

/** An array's elements are walked by index like an object's properties (for-in gives both). */
function shallowCopy(value: object): Record<string, unknown> {
	return (Array.isArray(value) ? value.slice() : { ...(value as Record<string, unknown>) }) as Record<string, unknown>;
}

export function handOut(verified: VerifiedToken): VerifiedToken {
	return { ...verified, claims: copyJson(verified.claims) };
}
