/**
 * The moleculer-web gateway every bench variant shares: the same routes and settings as
 * services/api.service.ts, listening on loopback only. Only the `authorize` hook differs.
 */
import type { Context, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { ApiSettingsSchema, IncomingRequest } from "moleculer-web";
import { live } from "../services/api.service";

export type AuthorizeHook = (this: unknown, ctx: Context<unknown, { user?: unknown }>, route: unknown, req: IncomingRequest) => Promise<void>;

export const LOOPBACK = "127.0.0.1";

/** A health route in front of /api, as in the real gateway, so routing costs the same. */
const liveRoute = {
	path: "/health",
	authorization: false,
	bodyParsers: false,
	mappingPolicy: "restrict" as const,
	aliases: {
		"GET /live": live
	}
};

/** No `authorize`: the ceiling. With one: the same route with `authorization: true`. */
export function plainGateway(authorize?: AuthorizeHook): ServiceSchema {
	const schema: ServiceSchema<ApiSettingsSchema> = {
		name: "api",
		mixins: [ApiGateway],
		settings: {
			port: 0,
			ip: LOOPBACK,
			logRequest: null,
			logResponse: null,
			routes: [
				liveRoute,
				{
					path: "/api",
					authorization: authorize !== undefined,
					mappingPolicy: "restrict",
					bodyParsers: { json: { strict: true, limit: "64kb" } },
					aliases: { "GET /protected": "protected.get" }
				}
			]
		},
		methods: authorize === undefined ? {} : { authorize }
	};
	return schema as ServiceSchema;
}
