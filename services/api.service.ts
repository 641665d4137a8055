/**
 * The HTTP gateway: moleculer-web with explicit routes only (never `mappingPolicy: "all"`),
 * health routes for orchestrators, and the package's `jwtAuth` mixin, imported by its name as a user's
 * gateway would, as the `authorize` hook of `/api`.
 */
import type { Server } from "node:http";
import type { Context, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { ApiSettingsSchema, GatewayResponse, IncomingRequest } from "moleculer-web";
import { jwtAuth, readinessAlias, resourceMetadataRoute } from "moleculer-jwks-auth";
import { HttpMetrics, type RoutedRequest } from "../lib/gateway/http-metrics";
import type { AuthTelemetry } from "../lib/gateway/auth-telemetry";
import { DEFAULT_BODY_READ_TIMEOUT_MS } from "../mixins/request-guards";
import { processAppConfig, type AppConfig } from "./app-config";

interface ApiThis {
	/** jwtAuth's: request-caused log lines, rate-limited. */
	telemetry: AuthTelemetry;
	/** Null when the broker's metrics are off. */
	httpMetrics: HttpMetrics | null;
	server: Server | undefined;
}
/** How long a stopping gateway waits for answers in progress when the broker sets no other. */
const DEFAULT_DRAIN_MS = 10_000;
const IDLE_SWEEP_MS = 100;

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
	// moleculer-web's per-request log lines are off (logRequest/logResponse below); without this
	// it still times and formats each answer for them. Errors are logged either way.
	logging: false,
	bodyParsers: false,
	mappingPolicy: "restrict" as const,
	aliases: {
		"GET /live": live,
		"GET /ready": readinessAlias
	}
};

/**
 * No body parser: its actions take no body, and a route's parsers run before `authorize`, so
 * any anonymous client could make the gateway inflate and parse 64 KB (a bad gzip body was a
 * 500). A route whose actions take a body must read it after the token is verified.
 */
const apiRoute = {
	path: "/api",
	authorization: true,
	logging: false,
	mappingPolicy: "restrict" as const,
	bodyParsers: false,
	aliases: {
		"GET /protected": "protected.get"
	}
};

/** The development issuer's discovery document and key set, under the gateway's own port. */
function devIssuerRoute(issuerUrl: string) {
	return {
		path: new URL(issuerUrl).pathname,
		authorization: false,
		logging: false,
		bodyParsers: false,
		mappingPolicy: "restrict" as const,
		aliases: {
			"GET /.well-known/openid-configuration": "dev-issuer.discovery",
			"GET /.well-known/jwks.json": "dev-issuer.jwks"
		}
	};
}

type HttpHandler = (this: ApiThis, req: IncomingRequest, res: GatewayResponse, next?: unknown) => Promise<void>;
type ErrorHandler = (this: unknown, req: IncomingRequest, res: GatewayResponse, err: unknown) => void;
const gateway = ApiGateway.methods as { httpHandler: HttpHandler; sendError: ErrorHandler };

/**
 * Counts every request once answered: moleculer-web's handler settles after it has written the
 * answer, error answers included. (jwtAuth's own handler runs before this one: request ids,
 * the query-string token, the body deadline.)
 */
function httpHandler(this: ApiThis, req: IncomingRequest, res: GatewayResponse, next?: unknown): Promise<void> {
	const metrics = this.httpMetrics;
	if (metrics === null) return gateway.httpHandler.call(this, req, res, next);
	// From moleculer-web's own reading of the clock as the request enters (req.$startTime):
	// a clock reading costs as much as the rest of the recording.
	return gateway.httpHandler.call(this, req, res, next).then(() => metrics.record(req as RoutedRequest, res.statusCode, secondsSince(req.$startTime)));
}

/** Seconds since `start`, a process.hrtime() reading. */
function secondsSince(start: number[]): number {
	const [seconds, nanoseconds] = process.hrtime(start as [number, number]);
	return seconds + nanoseconds / 1e9;
}

/**
 * The graceful drain of a stopping gateway: moleculer-web's own `stopped` closes the server and
 * waits until every connection has ended, which answers every request in progress. Keep-alive
 * connections would hold it open after their last answer, so idle ones are closed as they go
 * idle, and whatever is left is cut once the shutdown timeout has passed.
 */
function drain(server: Server, timeoutMs: number): void {
	const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
	const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
	sweep.unref();
	deadline.unref();
	server.once("close", () => {
		clearInterval(sweep);
		clearTimeout(deadline);
	});
}

/**
 * moleculer-web's own errorHandler writes an error line with the stack for every 5xx: a burst of
 * 503s became a burst of lines. Ours are rate-limited like every request-caused line. (jwtAuth
 * has already turned an action without a node into 503 SERVICE_UNAVAILABLE.)
 */
function errorHandler(this: ApiThis, req: IncomingRequest, res: GatewayResponse, err: unknown): void {
	this.telemetry.requestFailed(err, req.$ctx?.requestID);
	gateway.sendError.call(this, req, res, err);
}

/** The rest action's context: moleculer-web always calls it with the request. */
function requestOf(ctx: Context): IncomingRequest {
	return (ctx.params as { req: IncomingRequest }).req;
}

function pathOf(req: IncomingRequest): string {
	const url = req.url ?? "";
	const query = url.indexOf("?");
	return query < 0 ? url : url.slice(0, query);
}

function restSpanName(ctx: Context): string {
	const req = requestOf(ctx);
	return `${req.method ?? ""} ${pathOf(req)}`;
}

function restSpanTags(ctx: Context): Record<string, unknown> {
	const req = requestOf(ctx);
	return { params: { req: { method: req.method, path: pathOf(req) } } };
}

/**
 * The `rest` action (the whole HTTP request). Never replayed by the broker's retry policy: the
 * call to the protected service is retried (on another node) by itself, and a replay would
 * repeat it. Not timed as a whole: each call it makes to a service has its own deadline
 * (requestTimeout), the token check before it runs in memory or on a signature thread, and a
 * key fetch has its own (JWKS_TIMEOUT); a second deadline around them all cost every request
 * a promise and a clock reading. Its span is named and tagged by method and path:
 * moleculer-web's own use `req.url`, whose query string may carry a token. (Moleculer's
 * typings leave out the action's `timeout`, so this is not a literal inside the schema.)
 */
const restAction = { retryPolicy: { enabled: false }, timeout: 0, tracing: { spanName: restSpanName, tags: restSpanTags } };

export function createApiService(config: AppConfig): ServiceSchema {
	const schema: ServiceSchema<ApiSettingsSchema> = {
		name: "api",
		// Lifecycle handlers run in reverse mixin order: the gateway listens before the first key
		// fetch (the development issuer's keys are served on this very port).
		mixins: [jwtAuth(config.auth), ApiGateway],
		settings: {
			port: config.port,
			bodyReadTimeout: DEFAULT_BODY_READ_TIMEOUT_MS,
			// Per-request info logs cost throughput and add nothing the metrics don't count.
			logRequest: null,
			logResponse: null,
			routes: [healthRoute, resourceMetadataRoute(config.auth), apiRoute, ...(config.devIssuerUrl === null ? [] : [devIssuerRoute(config.devIssuerUrl)])]
		},
		actions: {
			rest: restAction
		},
		methods: { httpHandler, errorHandler },
		created() {
			(this as unknown as ApiThis).httpMetrics = this.broker.isMetricsEnabled() ? new HttpMetrics(this.broker.metrics) : null;
		},
		// Runs before moleculer-web's own `stopped`, which closes the server and waits for it.
		stopped() {
			const server = (this as unknown as ApiThis).server;
			if (server?.listening) drain(server, this.broker.options.tracking?.shutdownTimeout ?? DEFAULT_DRAIN_MS);
		}
	};
	return schema as ServiceSchema;
}

/** moleculer-runner calls this; configuration errors stop the process with one line. */
export default function apiService(): ServiceSchema {
	return createApiService(processAppConfig());
}
