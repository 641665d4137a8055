/**
 * What an action asks of the caller, declared on the action as `auth` (CONTRACT.md):
 * `false` public, `"optional"` a token if any must be valid, `{ scopes }` every scope
 * required; anything else (including no declaration) requires a valid token.
 */
export type ActionAuth = false | "optional" | "required" | { readonly scopes: readonly string[] };

export type Requirement =
	| { readonly kind: "public" }
	| { readonly kind: "optional" }
	| { readonly kind: "required"; readonly scopes: readonly string[] };

const REQUIRED: Requirement = { kind: "required", scopes: [] };

export function requirementOf(auth: unknown): Requirement {
	if (auth === false) return { kind: "public" };
	if (auth === "optional") return { kind: "optional" };
	if (typeof auth === "object" && auth !== null && Array.isArray((auth as { scopes?: unknown }).scopes)) {
		const scopes = (auth as { scopes: unknown[] }).scopes.filter((s): s is string => typeof s === "string");
		return { kind: "required", scopes };
	}
	return REQUIRED;
}
