/**
 * Gives a moleculer-web gateway its `authorize` hook and the broker-only actions `verify`,
 * `refreshKeys` (on every gateway node: cluster-keys.mixin.ts) and `revoke`
 * (revocation.mixin.ts). A thin adapter: policy lives in lib/auth, and every status, header
 * and body comes from the reason table.
 */
import type { Context, Service, ServiceSchema, Span } from "moleculer";
// Imported: the global `performance` is a lazy getter of Node's that runs on every read.
import { performance } from "node:perf_hooks";
import ApiGateway from "moleculer-web";
import type { IncomingRequest } from "moleculer-web";
import { Authenticator, bearerToken, challengeFor, isPending, parseClaimPath, REASONS, reject, RequirementMemo, resourceMetadataUrl, unmetDemand, type AuthConfig, type ClaimPath, type Rejection, type Requirement, type Verdict } from "../lib/auth";
import { AuthTelemetry } from "../lib/gateway/auth-telemetry";
import { clusterKeysMixin } from "./cluster-keys.mixin";
import { revocationMixin } from "./revocation.mixin";

const { UnAuthorizedError, ForbiddenError, ServiceUnavailableError } = ApiGateway.Errors;

export interface GatewayMeta {
	/** The verified claims, what `mapUser` made of them, or null (`auth: "optional"` without a token). */
	user?: unknown;
	/** JWT_PROPAGATE_TOKEN=true: the bearer token, for services that verify it themselves. */
	authToken?: string;
	$responseHeaders?: Record<string, string>;
}

export interface JwtAuthMethods {
	authorize(ctx: Context<unknown, GatewayMeta>, route: unknown, req: IncomingRequest): void | Promise<void>;
	admit(ctx: Context<unknown, GatewayMeta>, requirement: Requirement, verdict: Verdict, startedAt: number, span: Span | null): void;
	authenticate(authorization: string | undefined, connection?: object): Verdict | Promise<Verdict> | null;
	unexpectedFailure(err: unknown): Rejection;
	verify(token: string): Promise<Verdict>;
	rejectionError(ctx: Context<unknown, GatewayMeta>, rejection: Rejection): Error;
}

export interface JwtAuthVars {
	authenticator: Authenticator;
	telemetry: AuthTelemetry;
	requirements: RequirementMemo;
	keySetAgeTimer: NodeJS.Timeout;
}

const KEY_SET_AGE_INTERVAL_MS = 5000;

type JwtAuthThis = Service & JwtAuthMethods & JwtAuthVars;

/** The error class for each status of the reason table; its body keeps moleculer-web's shape. */
export function errorFor(rejection: Rejection): Error {
	const spec = REASONS[rejection.reason];
	const data = {
		reason: rejection.reason,
		...(rejection.requirement ? { requirement: rejection.requirement } : {}),
		...(rejection.requiredScopes ? { scope: rejection.requiredScopes.join(" ") } : {})
	};
	if (spec.status === 403) return new ForbiddenError(spec.type, data);
	if (spec.status === 503) return new ServiceUnavailableError(spec.type, data);
	return new UnAuthorizedError(spec.type, data);
}

export function jwtAuthMixin(config: AuthConfig): Partial<ServiceSchema> {
	// Read once: config parsing has refused a roles path that does not parse.
	const rolesClaim = parseClaimPath(config.rolesClaim) as ClaimPath;
	const metadataUrl = resourceMetadataUrl(config);
	const mapUser = config.mapUser;
	const mixin: Partial<ServiceSchema<object, JwtAuthMethods, JwtAuthVars, JwtAuthThis>> = {
		mixins: [clusterKeysMixin(), revocationMixin(config)],
		actions: {
			/** Broker-only (never aliased): claims of a valid token, or the typed reason it fails. */
			verify: {
				visibility: "public",
				params: { token: { type: "string", max: 65536 } },
				// Moleculer's tracing tags an action's params by default: the token would go to Jaeger or Zipkin.
				tracing: { tags: { params: false, meta: false, response: false } },
				async handler(this: JwtAuthThis, ctx: Context<{ token: string }>) {
					const verdict = await this.verify(ctx.params.token);
					if (verdict.ok) return { valid: true, issuer: verdict.issuer, alg: verdict.alg, kid: verdict.kid, claims: verdict.claims };
					const spec = REASONS[verdict.reason];
					return { valid: false, reason: verdict.reason, status: spec.status, type: spec.type, description: verdict.detail ?? spec.description };
				}
			}
		},

		methods: {
			/** Synchronous for a token verified before: a cache hit costs the request no promise. */
			authorize(this: JwtAuthThis, ctx, _route, req) {
				const requirement = this.requirements.of(req.$action?.auth);
				if (requirement.kind === "public") return;
				if (requirement.kind === "misdeclared") {
					this.telemetry.requestLine("error", { event: "action_misdeclared", action: req.$action?.name ?? "?" }, "An action's auth declaration cannot be read; it refuses every caller");
					throw this.rejectionError(ctx, reject("action_misdeclared"));
				}
				const authorization = req.headers.authorization;
				if (config.propagateToken && authorization !== undefined) ctx.meta.authToken = bearerToken(authorization) ?? undefined;
				const span = authorization !== undefined && this.broker.isTracingEnabled() ? ctx.startSpan("jwt.verify") : null;
				const startedAt = this.telemetry.timed ? performance.now() : 0;
				const verdict = this.authenticate(authorization, req.socket ?? undefined);
				if (verdict === null) {
					if (span) ctx.finishSpan(span.addTags({ result: "no_token" }));
					if (requirement.kind === "optional") {
						ctx.meta.user = null;
						return;
					}
					throw this.rejectionError(ctx, reject("no_token"));
				}
				if (isPending(verdict)) return verdict.then(settled => this.admit(ctx, requirement, settled, startedAt, span));
				this.admit(ctx, requirement, verdict, startedAt, span);
			},

			/** The request goes on with the claims in ctx.meta.user, or fails with the verdict's reason. */
			admit(this: JwtAuthThis, ctx, requirement, verdict, startedAt, span) {
				const seconds = this.telemetry.timed ? (performance.now() - startedAt) / 1000 : 0;
				if (span) ctx.finishSpan(span.addTags({ result: verdict.ok ? "accepted" : verdict.reason }));
				if (!verdict.ok) {
					this.telemetry.rejected(verdict, ctx.requestID, seconds);
					throw this.rejectionError(ctx, verdict);
				}
				const demands = requirement.kind === "required" ? requirement.demands : null;
				const unmet = demands === null ? null : unmetDemand(demands, verdict.claims, verdict.issuer, rolesClaim);
				if (unmet !== null) {
					this.telemetry.rejected(unmet, ctx.requestID);
					throw this.rejectionError(ctx, unmet);
				}
				this.telemetry.verified(seconds);
				ctx.meta.user = mapUser === null ? verdict.claims : mapUser(verdict.claims);
			},

			/** Total: whatever goes wrong inside, the caller gets a verdict (null: no Bearer token), never a 500. */
			authenticate(this: JwtAuthThis, authorization, connection) {
				try {
					const verdict = this.authenticator.authenticate(authorization, connection);
					return verdict !== null && isPending(verdict) ? verdict.catch((err: unknown) => this.unexpectedFailure(err)) : verdict;
				} catch (err) {
					return this.unexpectedFailure(err);
				}
			},

			unexpectedFailure(this: JwtAuthThis, err: unknown) {
				this.telemetry.requestLine("error", { event: "verification_failed", error: err instanceof Error ? err.message : String(err) }, "Token verification failed unexpectedly");
				return reject("malformed");
			},

			/** Total, as authenticate: for the broker's `verify` action, which is given the bare token. */
			async verify(this: JwtAuthThis, token: string): Promise<Verdict> {
				try {
					return await this.authenticator.verify(token);
				} catch (err) {
					return this.unexpectedFailure(err);
				}
			},

			/** The HTTP answer for a rejection: status, headers and body from the reason table. */
			rejectionError(this: JwtAuthThis, ctx, rejection) {
				const headers: Record<string, string> = { ...ctx.meta.$responseHeaders };
				const challenge = challengeFor(rejection, metadataUrl);
				if (challenge !== null) headers["WWW-Authenticate"] = challenge;
				if (rejection.retryAfter !== undefined) headers["Retry-After"] = String(rejection.retryAfter);
				ctx.meta.$responseHeaders = headers;
				return errorFor(rejection);
			}
		},

		created(this: JwtAuthThis) {
			this.telemetry = new AuthTelemetry(this.broker, this.logger);
			this.requirements = new RequirementMemo();
			this.authenticator = new Authenticator(config, { events: this.telemetry.events() });
		},

		started(this: JwtAuthThis) {
			this.authenticator.start();
			const threads = this.authenticator.signatureThreads;
			this.logger.info(
				threads === null
					? `Signatures are checked on node:crypto's thread pool (JWT_VERIFY_THREADS=0, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "unset: 4"})`
					: `Signatures are checked on ${threads.workers.length} worker thread${threads.workers.length === 1 ? "" : "s"} (JWT_VERIFY_THREADS=${threads.count})`
			);
			this.keySetAgeTimer = setInterval(() => {
				this.telemetry.recordKeySetAges([...this.authenticator.stores.values()].map(store => [store.issuer, store.keySetAgeMs()]));
			}, KEY_SET_AGE_INTERVAL_MS);
			this.keySetAgeTimer.unref();
		},

		async stopped(this: JwtAuthThis) {
			clearInterval(this.keySetAgeTimer);
			await this.authenticator.stop();
		}
	};
	return mixin as Partial<ServiceSchema>;
}
