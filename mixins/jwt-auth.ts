/**
 * `jwtAuth(options)`: the mixin an integrator adds to their own moleculer-web gateway. The
 * options are checked when it is called; the verifier (jwt-auth.mixin.ts), `api.listAccess`
 * (access-catalog.mixin.ts), the guards against a bypass and the integrator's HTTP parts
 * (gateway-guards.ts) and a readiness helper for a health route come with it.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import type { GatewayResponse, IncomingRequest } from "moleculer-web";
import type { Authenticator, Readiness } from "../lib/auth/authenticator";
import { reject } from "../lib/auth/policy/reasons";
import { resolveOptions, type JwtAuthOptions } from "../lib/auth/policy/options";
import type { AuthTelemetry } from "../lib/gateway/auth-telemetry";
import { withFastProperties } from "../lib/gateway/fast-properties";
import { accessCatalogMixin } from "./access-catalog.mixin";
import { checkRoutedActions, guardMerged, JWT_AUTHORIZE } from "./gateway-guards";
import { jwtAuthMixin, type GatewayMeta } from "./jwt-auth.mixin";

interface JwtAuthThis extends Service {
	authenticator: Authenticator;
	telemetry: AuthTelemetry;
	rejectionError(ctx: Context<unknown, GatewayMeta>, rejection: ReturnType<typeof reject>): Error;
}

function sendJson(res: GatewayResponse, status: number, body: object): void {
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
	res.end(JSON.stringify(body));
}

/**
 * A function alias for a readiness route (`"GET /ready": readinessAlias` on a route with
 * `authorization: false`): 200 `{ status: "ready" }` once every issuer has usable keys, else 503
 * `{ status: "not_ready", issuersWithoutKeys }`. Status only: no node ids, services or actions.
 */
export function readinessAlias(this: Service, _req: IncomingRequest, res: GatewayResponse): void {
	const { ready, issuersWithoutKeys } = (this as unknown as { jwtReadiness(): Readiness }).jwtReadiness();
	if (ready) sendJson(res, 200, { status: "ready" });
	else sendJson(res, 503, { status: "not_ready", issuersWithoutKeys });
}

export function jwtAuth(options: JwtAuthOptions): Partial<ServiceSchema> {
	const config = resolveOptions(options);
	const verifier = jwtAuthMixin(config);
	// This call's mark on its authorize: the merged schema must keep exactly this one.
	const ours = Symbol("jwtAuth");
	const authorize = (verifier.methods as Record<string, object>).authorize as Record<symbol, symbol>;
	authorize[JWT_AUTHORIZE] = ours;
	// `merged` is a Moleculer lifecycle hook its type declarations leave out.
	const mixin: Partial<ServiceSchema> & { merged: ReturnType<typeof guardMerged> } = {
		mixins: [verifier, accessCatalogMixin()],
		merged: guardMerged(ours, { serviceUnavailable: options.serviceUnavailable ?? true, screenRequestIds: options.screenRequestIds ?? true }),
		methods: {
			/** Whether every configured issuer has usable keys (fresh, or stale within jwks.staleMaxAge). */
			jwtReadiness(this: JwtAuthThis): Readiness {
				return this.authenticator.readiness();
			},

			/** A call through a route without authorization to an action that requires a token: refused, and logged. */
			unprotectedCall(this: JwtAuthThis, actionName: string, req: IncomingRequest): Error {
				this.telemetry.requestLine("error", { event: "route_unprotected", action: actionName }, "An action that requires a token was called through a route without authorization; refused");
				return this.rejectionError(req.$ctx as Context<unknown, GatewayMeta>, reject("route_unprotected"));
			}
		},
		started(this: Service) {
			checkRoutedActions(this as Parameters<typeof checkRoutedActions>[0]);
			// moleculer-web reads the gateway service's properties dozens of times a request.
			withFastProperties(this);
		}
	};
	return mixin;
}
