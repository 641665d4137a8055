/**
 * Claims shaped as real issuers shape their access tokens (registered claims left to the
 * minting code): Auth0 with RBAC permissions and a namespaced roles claim, Keycloak with realm
 * and client roles, Entra ID v2 with `scp` and app `roles`, Zuplo's JWT service with `data`.
 */
export const SHAPES = {
	auth0: {
		// Auth0's issuer ends in a slash.
		issuerPath: "/auth0",
		trailingSlash: true,
		rolesClaim: "https://things.example.com/roles",
		claims: {
			sub: "auth0|64f1c0ffee",
			aud: ["https://things.example.com/api", "https://tenant.eu.auth0.com/userinfo"],
			azp: "Xq9cLientId",
			scope: "openid profile read:things",
			permissions: ["read:things", "delete:things"],
			"https://things.example.com/roles": ["editor"],
			org_id: "org_acme"
		}
	},
	keycloak: {
		issuerPath: "/realms/acme",
		trailingSlash: false,
		rolesClaim: "realm_access.roles",
		claims: {
			sub: "5b1e3b52-0c57-4bd6-9a9b-2a0f0e6d3c11",
			typ: "Bearer",
			azp: "things-gateway",
			scope: "openid email profile",
			email_verified: true,
			preferred_username: "alice",
			realm_access: { roles: ["offline_access", "uma_authorization", "things-admin"] },
			resource_access: { "things-gateway": { roles: ["writer"] }, account: { roles: ["manage-account"] } }
		}
	},
	entra: {
		issuerPath: "/11111111-2222-3333-4444-555555555555/v2.0",
		trailingSlash: false,
		rolesClaim: "roles",
		claims: {
			sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
			aud: "api://things",
			ver: "2.0",
			tid: "11111111-2222-3333-4444-555555555555",
			oid: "9f4880d8-0000-4000-8000-000000000000",
			scp: "Things.Read Things.Write",
			roles: ["Things.Admin"]
		}
	},
	zuplo: {
		issuerPath: "/__zuplo/issuer",
		trailingSlash: false,
		rolesClaim: "data.roles",
		claims: {
			sub: "consumer-acme",
			scope: "read:things",
			data: { plan: "gold", customerId: 4711, roles: ["support"] }
		}
	}
} as const;

export type ShapeName = keyof typeof SHAPES;

export interface Grants {
	readonly scopes?: readonly string[];
	readonly roles?: readonly string[];
	readonly permissions?: readonly string[];
}

/** Sets `value` at a dotted path, or at the whole name when the IdP uses dotted names (Auth0). */
export function place(claims: Record<string, unknown>, path: string, value: unknown): void {
	if (path.startsWith("https://")) {
		claims[path] = value;
		return;
	}
	const segments = path.split(".");
	let target = claims;
	for (const segment of segments.slice(0, -1)) {
		const next = target[segment];
		target[segment] = typeof next === "object" && next !== null ? { ...(next as object) } : {};
		target = target[segment] as Record<string, unknown>;
	}
	target[segments[segments.length - 1] as string] = value;
}

/**
 * The shape's claims with scopes, roles and permissions put where that issuer puts them: `scp`
 * for Entra ID, `scope` elsewhere; roles at the shape's roles claim. A grant left out is left
 * as the shape has it; an empty one removes it.
 */
export function shaped(shape: ShapeName, grants: Grants = {}): Record<string, unknown> {
	const { claims, rolesClaim } = SHAPES[shape];
	const result: Record<string, unknown> = JSON.parse(JSON.stringify(claims)) as Record<string, unknown>;
	if (grants.scopes !== undefined) result[shape === "entra" ? "scp" : "scope"] = grants.scopes.join(" ");
	if (grants.roles !== undefined) place(result, rolesClaim, [...grants.roles]);
	if (grants.permissions !== undefined) result.permissions = [...grants.permissions];
	return result;
}

/** A claim each shape really carries, as a `claims` declaration would name it. */
export const SHAPE_CLAIM: Record<ShapeName, { readonly path: string; readonly value: string | boolean; readonly other: string | boolean }> = {
	auth0: { path: "org_id", value: "org_acme", other: "org_beta" },
	keycloak: { path: "resource_access.things-gateway.roles", value: "writer", other: "owner" },
	entra: { path: "tid", value: "11111111-2222-3333-4444-555555555555", other: "99999999-2222-3333-4444-555555555555" },
	zuplo: { path: "data.plan", value: "gold", other: "free" }
};
