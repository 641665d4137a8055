/**
 * The HTTP gateway: moleculer-web with explicit routes only (never `mappingPolicy: "all"`),
 * health routes for orchestrators, and the JWT mixin as the `authorize` hook of `/api`.
 */
import { Errors, type CallingOptions, type ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { ApiSettingsSchema, GatewayResponse, IncomingRequest } from "moleculer-web";
import type { Authenticator } from "../lib/auth/authenticator";
import { processAuthConfig, type AuthConfig } from "../lib/auth/config";
import { jwtAuthMixin } from "../mixins/jwt-auth.mixin";

interface ApiThis {
	authenticator: Authenticator;
}

function sendJson(res: GatewayResponse, status: number, body: object): void {
	const payload = JSON.stringify(body);
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
	res.end(payload);
}

/** Liveness: the process answers HTTP. Shared with the bench's gateways, so routing costs the same. */
export function live(_req: IncomingRequest, res: GatewayResponse): void {
	sendJson(res, 200, { status: "ok" });
}

/** Health answers carry status only: no node ids, services or actions. */
const healthRoute = {
	path: "/health",
	authorization: false,
	bodyParsers: false,
	mappingPolicy: "restrict" as const,
	aliases: {
		"GET /live": live,
		"GET /ready"(this: ApiThis, _req: IncomingRequest, res: GatewayResponse) {
			const { ready, issuersWithoutKeys } = this.authenticator.readiness();
			if (ready) sendJson(res, 200, { status: "ready" });
			else sendJson(res, 503, { status: "not_ready", issuersWithoutKeys });
		}
	}
};

const apiRoute = {
	path: "/api",
	authorization: true,
	mappingPolicy: "restrict" as const,
	bodyParsers: { json: { strict: true, limit: "64kb" } },
	aliases: {
		"GET /protected": "protected.get"
	}
};

/** The development issuer's discovery document and key set, under the gateway's own port. */
function devIssuerRoute(issuerUrl: string) {
	return {
		path: new URL(issuerUrl).pathname,
		authorization: false,
		bodyParsers: false,
		mappingPolicy: "restrict" as const,
		aliases: {
			"GET /.well-known/openid-configuration": "dev-issuer.discovery",
			"GET /.well-known/jwks.json": "dev-issuer.jwks"
		}
	};
}

/** A client's X-Request-ID / X-Correlation-ID is echoed and logged: only a short safe one is kept. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Runs on every request: assigning instead of `delete` keeps the options object's shape fast. */
function rootCallOptions(options: { requestID?: unknown }): void {
	const requestID = options.requestID;
	if (requestID !== undefined && (typeof requestID !== "string" || !SAFE_REQUEST_ID.test(requestID))) options.requestID = undefined;
}

type AliasHandler = (this: unknown, req: IncomingRequest, res: GatewayResponse, alias: { action?: string }) => Promise<unknown>;
const gatewayAliasHandler = (ApiGateway.methods as { aliasHandler: AliasHandler }).aliasHandler;

/**
 * A declared alias whose action has no live node (every `protected` node stopped) is a
 * temporary outage: 503, not moleculer-web's 404 for an action the registry no longer knows.
 * Mapped here, inside the `rest` action, because the error escaping it would be retried by
 * the broker's retry policy and end as a 404. A `catch` on the promise rather than an async
 * wrapper: a served request pays one promise for it, not an async frame.
 */
function aliasHandler(this: unknown, req: IncomingRequest, res: GatewayResponse, alias: { action?: string }): Promise<unknown> {
	return gatewayAliasHandler.call(this, req, res, alias).catch((err: unknown) => {
		if (alias.action && (err instanceof Errors.ServiceNotFoundError || err instanceof Errors.ServiceNotAvailableError)) {
			throw new ApiGateway.Errors.ServiceUnavailableError("SERVICE_UNAVAILABLE", { action: alias.action });
		}
		throw err;
	});
}

export function createApiService(config: AuthConfig): ServiceSchema {
	const schema: ServiceSchema<ApiSettingsSchema> = {
		name: "api",
		// Lifecycle handlers run in reverse mixin order: the gateway listens before the first key fetch.
		mixins: [jwtAuthMixin(config), ApiGateway],
		settings: {
			port: config.port,
			// Per-request info logs cost throughput and add nothing the metrics don't count.
			logRequest: null,
			logResponse: null,
			// moleculer-web calls a function here per request; its typings only know the object form.
			rootCallOptions: rootCallOptions as unknown as CallingOptions,
			routes: [healthRoute, apiRoute, ...(config.devIssuerUrl === null ? [] : [devIssuerRoute(config.devIssuerUrl)])]
		},
		methods: { aliasHandler }
	};
	return schema as ServiceSchema;
}

/** moleculer-runner calls this; configuration errors stop the process with one line. */
export default function apiService(): ServiceSchema {
	return createApiService(processAuthConfig());
}
