/**
 * What an action asks of the caller, declared on the action as `auth` (CONTRACT.md):
 * `false` public, `"optional"` a token, when one is sent, must be valid, `{ scopes }` every scope
 * required, no declaration (or `"required"`) a valid token. A declaration we cannot read
 * (`{ scope: [...] }`, `{ scopes: "a" }`, a number) fails closed: nobody gets through.
 */
export type ActionAuth = false | "optional" | "required" | { readonly scopes: readonly string[] };

export type Requirement =
	| { readonly kind: "public" }
	| { readonly kind: "optional" }
	| { readonly kind: "required"; readonly scopes: readonly string[] }
	| { readonly kind: "misdeclared" };

const REQUIRED: Requirement = { kind: "required", scopes: [] };

const MISDECLARED: Requirement = { kind: "misdeclared" };

export function requirementOf(auth: unknown): Requirement {
	if (auth === undefined || auth === null || auth === "required") return REQUIRED;
	if (auth === false) return { kind: "public" };
	if (auth === "optional") return { kind: "optional" };
	if (typeof auth !== "object" || Object.keys(auth).some(key => key !== "scopes")) return MISDECLARED;
	const scopes: unknown = (auth as { scopes?: unknown }).scopes;
	if (!Array.isArray(scopes) || !scopes.every(scope => typeof scope === "string" && scope !== "" && !scope.includes(" "))) return MISDECLARED;
	return { kind: "required", scopes };
}
