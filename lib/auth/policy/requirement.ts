/**
 * What an action asks of the caller, declared on the action as `auth` (docs/CONTRACT.md):
 * `false` public, `"optional"` a token, when one is sent, must be valid, no declaration (or
 * `"required"`) a valid token, and an object of parts that must all hold. A declaration is
 * compiled once (per declaration object, so per action, local or remote) and the compiled form
 * is what requests are checked against. A declaration we cannot read (`{ scope: [...] }`,
 * `{ scopes: "a" }`, a number) fails closed: nobody gets through.
 */
import { parseClaimPath, type ClaimPath } from "./claim-path";

export type ClaimValue = string | number | boolean;

export interface AuthDeclaration {
	/** Every one is granted (`scope` or `scp`). */
	readonly scopes?: readonly string[];
	/** At least one is granted. */
	readonly anyScope?: readonly string[];
	/** Every one is in the `permissions` array (Auth0 RBAC). */
	readonly permissions?: readonly string[];
	/** At least one is in the claim at JWT_ROLES_CLAIM. */
	readonly roles?: readonly string[];
	/** Dotted claim path -> the value it equals, or an array claim contains. */
	readonly claims?: Readonly<Record<string, ClaimValue>>;
	/** The token's issuer is one of them. */
	readonly issuers?: readonly string[];
}

export type ActionAuth = false | "optional" | "required" | AuthDeclaration;

export type RequirementPart = keyof AuthDeclaration;

export interface ClaimDemand {
	readonly path: ClaimPath;
	readonly value: ClaimValue;
}

/** The compiled parts; "every" lists may be empty, "any" lists are null when not declared. */
export interface Demands {
	readonly scopes: readonly string[];
	readonly anyScope: readonly string[] | null;
	readonly permissions: readonly string[];
	readonly roles: readonly string[] | null;
	readonly claims: readonly ClaimDemand[];
	readonly issuers: readonly string[] | null;
}

export type Requirement =
	| { readonly kind: "public" }
	| { readonly kind: "optional" }
	/** `demands` null: a valid token is all it takes (nothing more is looked at per request). */
	| { readonly kind: "required"; readonly demands: Demands | null }
	| { readonly kind: "misdeclared" };

const PUBLIC: Requirement = { kind: "public" };
const OPTIONAL: Requirement = { kind: "optional" };
const REQUIRED: Requirement = { kind: "required", demands: null };
const MISDECLARED: Requirement = { kind: "misdeclared" };

const PARTS = new Set<string>(["scopes", "anyScope", "permissions", "roles", "claims", "issuers"]);

/** Scope and permission names travel in a space-separated claim and a quoted challenge. */
const isWord = (value: unknown): value is string => typeof value === "string" && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(value);
/** Roles are compared exactly; a name with surrounding spaces is a typo that would never match. */
const isName = (value: unknown): value is string => typeof value === "string" && value !== "" && value === value.trim();

function listOf(value: unknown, fits: (item: unknown) => item is string, atLeastOne: boolean): string[] | null {
	if (!Array.isArray(value) || !value.every(fits) || (atLeastOne && value.length === 0)) return null;
	return [...value];
}

function claimDemands(value: unknown): ClaimDemand[] | null {
	if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
	const demands: ClaimDemand[] = [];
	for (const [name, expected] of Object.entries(value)) {
		const path = parseClaimPath(name);
		if (path === null || !["string", "number", "boolean"].includes(typeof expected)) return null;
		demands.push({ path, value: expected as ClaimValue });
	}
	return demands;
}

function compile(declaration: Record<string, unknown>): Requirement {
	const given = Object.keys(declaration);
	if (given.length === 0 || given.some(name => !PARTS.has(name))) return MISDECLARED;
	// undefined: not declared; null: declared but unreadable.
	const part = <T>(name: RequirementPart, read: (value: unknown) => T | null): T | null | undefined =>
		declaration[name] === undefined ? undefined : read(declaration[name]);
	const scopes = part("scopes", v => listOf(v, isWord, false));
	const anyScope = part("anyScope", v => listOf(v, isWord, true));
	const permissions = part("permissions", v => listOf(v, isWord, false));
	const roles = part("roles", v => listOf(v, isName, true));
	const claims = part("claims", claimDemands);
	const issuers = part("issuers", v => listOf(v, isName, true));
	if ([scopes, anyScope, permissions, roles, claims, issuers].includes(null)) return MISDECLARED;
	const demands: Demands = { scopes: scopes ?? [], anyScope: anyScope ?? null, permissions: permissions ?? [], roles: roles ?? null, claims: claims ?? [], issuers: issuers ?? null };
	const asksNothing = demands.scopes.length === 0 && demands.permissions.length === 0 && demands.claims.length === 0 && !demands.anyScope && !demands.roles && !demands.issuers;
	return asksNothing ? REQUIRED : { kind: "required", demands };
}

/** The requirement of a declaration, compiled now. */
export function requirementOf(auth: unknown): Requirement {
	if (auth === undefined || auth === null || auth === "required") return REQUIRED;
	if (auth === false) return PUBLIC;
	if (auth === "optional") return OPTIONAL;
	if (typeof auth !== "object" || Array.isArray(auth)) return MISDECLARED;
	return compile(auth as Record<string, unknown>);
}

/**
 * The requirements of the declarations one service meets on its hot path (every request's
 * action): each declaration object is compiled on first sight only. One per service instance,
 * so nothing is shared across services or brokers in the process.
 */
export class RequirementMemo {
	private readonly compiled = new WeakMap<object, Requirement>();

	of(auth: unknown): Requirement {
		if (typeof auth !== "object" || auth === null || Array.isArray(auth)) return requirementOf(auth);
		let requirement = this.compiled.get(auth);
		if (requirement === undefined) {
			requirement = requirementOf(auth);
			this.compiled.set(auth, requirement);
		}
		return requirement;
	}
}

/** Every scope a requirement names (RFC 9728 `scopes_supported`). */
export function scopesNamed(requirement: Requirement): string[] {
	return requirement.kind === "required" && requirement.demands !== null ? [...requirement.demands.scopes, ...(requirement.demands.anyScope ?? [])] : [];
}

/** One line for people (the REPL's access list). */
export function describeRequirement(requirement: Requirement): string {
	if (requirement.kind === "public") return "public";
	if (requirement.kind === "optional") return "optional token (a bad one is refused)";
	if (requirement.kind === "misdeclared") return "nobody (the declaration cannot be read)";
	const d = requirement.demands;
	if (d === null) return "a valid token";
	const parts = [
		d.issuers && `issuer one of [${d.issuers.join(", ")}]`,
		d.scopes.length > 0 && `scopes all of [${d.scopes.join(" ")}]`,
		d.anyScope && `scopes any of [${d.anyScope.join(" ")}]`,
		d.permissions.length > 0 && `permissions all of [${d.permissions.join(" ")}]`,
		d.roles && `roles any of [${d.roles.join(", ")}]`,
		...d.claims.map(c => `claim ${c.path.name} = ${JSON.stringify(c.value)}`)
	].filter((part): part is string => typeof part === "string");
	return parts.length === 0 ? "a valid token" : `a valid token with ${parts.join(" and ")}`;
}
