/**
 * Claims shaped as real issuers shape their access tokens (registered claims left to the
 * minting code): Auth0 with RBAC permissions and a namespaced roles claim, Keycloak with realm
 * and client roles, Entra ID v2 with `scp` and app `roles`, Zuplo's JWT service with `data`.
 */
export const SHAPES = {
	auth0: {
		issuerPath: "/auth0/",
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
		rolesClaim: "data.roles",
		claims: {
			sub: "consumer-acme",
			scope: "read:things",
			data: { plan: "gold", customerId: 4711, roles: ["support"] }
		}
	}
} as const;

export type ShapeName = keyof typeof SHAPES;
