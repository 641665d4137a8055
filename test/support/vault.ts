/**
 * A `vault` service whose actions each declare one part of `auth` (and one all of them), routed
 * through explicit aliases and the REST shorthand on a gateway with the JWT mixin.
 */
import type { Context, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { AuthConfig } from "../../lib/auth/policy/config";
import { accessCatalogMixin, resourceMetadataRoute } from "../../mixins/access-catalog.mixin";
import { jwtAuthMixin } from "../../mixins/jwt-auth.mixin";
import type { Endpoint } from "./action-gateway";

export const ANY_SCOPE = ["vault:read", "vault:admin"];
export const ROLES = ["auditor", "admin"];
export const PERMISSIONS = ["create:secrets"];

export interface VaultClaim {
	readonly path: string;
	readonly value: string | boolean;
}

/** `remove` lets only `issuers.remove` in, `rotate` only `issuers.rotate`. */
export function vaultService(claim: VaultClaim, issuers: { readonly remove: string; readonly rotate: string }): ServiceSchema {
	const answer = (name: string) => (ctx: Context<unknown, { user?: unknown }>) => ({ action: name, user: ctx.meta.user ?? null });
	return {
		name: "vault",
		actions: {
			list: { auth: { anyScope: ANY_SCOPE }, handler: answer("list") },
			get: { auth: { roles: ROLES }, handler: answer("get") },
			create: { auth: { permissions: PERMISSIONS }, handler: answer("create") },
			update: { auth: { claims: { [claim.path]: claim.value } }, handler: answer("update") },
			remove: { auth: { issuers: [issuers.remove] }, handler: answer("remove") },
			rotate: {
				auth: { scopes: ["vault:admin"], permissions: PERMISSIONS, roles: ROLES, claims: { [claim.path]: claim.value }, issuers: [issuers.rotate] },
				handler: answer("rotate")
			}
		}
	};
}

export function vaultGateway(config: AuthConfig): ServiceSchema {
	const explicit = {
		path: "/x",
		authorization: true,
		mappingPolicy: "restrict" as const,
		aliases: {
			"GET /list": "vault.list",
			"GET /get": "vault.get",
			"POST /create": "vault.create",
			"PUT /update": "vault.update",
			"DELETE /remove": "vault.remove",
			"POST /rotate": "vault.rotate"
		}
	};
	const rest = { path: "/r", authorization: true, mappingPolicy: "restrict" as const, aliases: { "REST vault": "vault" } };
	return {
		name: "gw",
		mixins: [jwtAuthMixin(config), accessCatalogMixin(), ApiGateway],
		settings: { port: 0, logRequest: null, logResponse: null, routes: [explicit, rest, resourceMetadataRoute(config)] }
	} as ServiceSchema;
}

type Part = "anyScope" | "roles" | "permissions" | "claims" | "issuers";

export const VAULT_ENDPOINTS: Record<"explicit" | "rest", Record<Part, Endpoint>> = {
	explicit: {
		anyScope: { method: "GET", path: "/x/list", action: "list" },
		roles: { method: "GET", path: "/x/get", action: "get" },
		permissions: { method: "POST", path: "/x/create", action: "create" },
		claims: { method: "PUT", path: "/x/update", action: "update" },
		issuers: { method: "DELETE", path: "/x/remove", action: "remove" }
	},
	rest: {
		anyScope: { method: "GET", path: "/r/vault", action: "list" },
		roles: { method: "GET", path: "/r/vault/1", action: "get" },
		permissions: { method: "POST", path: "/r/vault", action: "create" },
		claims: { method: "PUT", path: "/r/vault/1", action: "update" },
		issuers: { method: "DELETE", path: "/r/vault/1", action: "remove" }
	}
};
