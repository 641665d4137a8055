/**
 * A test gateway (`gw`) with the JWT mixin on every kind of moleculer-web route (explicit
 * aliases, REST shorthand, a custom function alias), and a `things` service whose actions
 * declare every kind of `auth` requirement.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { GatewayResponse, IncomingRequest } from "moleculer-web";
import type { AuthConfig } from "../../lib/auth/policy/config";
import { accessCatalogMixin, resourceMetadataRoute } from "../../mixins/access-catalog.mixin";
import { jwtAuthMixin } from "../../mixins/jwt-auth.mixin";

export const REQUIRED_SCOPES = ["write:things", "read:things"];

interface UserMeta {
	user?: Record<string, unknown> | null;
}

/** Every action answers its name and what the gateway put in ctx.meta.user. */
function answer(name: string) {
	return (ctx: Context<unknown, UserMeta>) => ({ action: name, hasUser: ctx.meta.user !== undefined, user: ctx.meta.user ?? null });
}

export const ThingsService: ServiceSchema = {
	name: "things",
	actions: {
		list: { auth: false, handler: answer("list") },
		feed: { auth: "optional", handler: answer("feed") },
		get: { handler: answer("get") },
		create: { auth: { scopes: REQUIRED_SCOPES }, handler: answer("create") },
		update: { auth: { scopes: REQUIRED_SCOPES }, handler: answer("update") },
		remove: { auth: "optional", handler: answer("remove") }
	}
};

const explicitRoute = {
	path: "/explicit",
	authorization: true,
	mappingPolicy: "restrict" as const,
	// Bodies are parsed here, so that a token in a body is there to be (not) used.
	bodyParsers: { json: true, urlencoded: { extended: false } },
	aliases: {
		"GET /list": "things.list",
		"GET /feed": "things.feed",
		"GET /get": "things.get",
		"POST /create": "things.create",
		"PUT /update": "things.update",
		"DELETE /remove": "things.remove"
	}
};

const restRoute = {
	path: "/rest",
	authorization: true,
	mappingPolicy: "restrict" as const,
	aliases: { "REST things": "things" }
};

const functionRoute = {
	path: "/custom",
	authorization: true,
	mappingPolicy: "restrict" as const,
	aliases: {
		"GET /fn"(req: IncomingRequest, res: GatewayResponse) {
			const meta = req.$ctx.meta as UserMeta;
			res.writeHead(200, { "Content-Type": "application/json" });
			res.end(JSON.stringify({ action: "custom", hasUser: meta.user !== undefined, user: meta.user ?? null }));
		}
	}
};

export function gatewaySchema(config: AuthConfig): ServiceSchema {
	return {
		name: "gw",
		mixins: [jwtAuthMixin(config), accessCatalogMixin(), ApiGateway],
		settings: { port: 0, logRequest: null, logResponse: null, routes: [explicitRoute, restRoute, functionRoute, resourceMetadataRoute(config)] }
	} as ServiceSchema;
}

export function urlOf(service: Service): string {
	return `http://127.0.0.1:${(service as unknown as { server: { address(): { port: number } } }).server.address().port}`;
}

export interface Endpoint {
	readonly method: string;
	readonly path: string;
	readonly action: string;
}

/** The same requirement kinds reached through each route kind. */
export const ENDPOINTS: Record<"explicit" | "rest", Record<"public" | "optional" | "scoped" | "scopedCreate" | "default", Endpoint>> = {
	explicit: {
		public: { method: "GET", path: "/explicit/list", action: "list" },
		optional: { method: "GET", path: "/explicit/feed", action: "feed" },
		scoped: { method: "PUT", path: "/explicit/update", action: "update" },
		scopedCreate: { method: "POST", path: "/explicit/create", action: "create" },
		default: { method: "GET", path: "/explicit/get", action: "get" }
	},
	rest: {
		public: { method: "GET", path: "/rest/things", action: "list" },
		optional: { method: "DELETE", path: "/rest/things/7", action: "remove" },
		scoped: { method: "PUT", path: "/rest/things/7", action: "update" },
		scopedCreate: { method: "POST", path: "/rest/things", action: "create" },
		default: { method: "GET", path: "/rest/things/7", action: "get" }
	}
};
