/**
 * Moleculer's internal middlewares, in Moleculer's own order, with three of them scoped to
 * where the gateway needs them and one replaced. moleculer.config.ts sets `internalMiddlewares: false` and
 * passes this list instead, so every other internal middleware behaves as Moleculer ships it.
 *
 * - Metrics: Moleculer's per-call request series (moleculer_request_*) update several labelled
 *   series per action call, twice per HTTP request; the gateway counts its HTTP requests
 *   itself (http-metrics.ts). `METRICS_ACTIONS=true` brings Moleculer's middleware back.
 * - ContextTracker: only for calls that arrive from another node, so a service node still
 *   finishes them before it leaves; an HTTP request is drained by the gateway's HTTP server
 *   instead (api.service.ts), and the local calls it makes finish inside it.
 * - Retry: only for calls to another node, which is what the retry policy is for (a node that
 *   left mid-call); a local call that fails would fail the same way again.
 * - Timeout: the same timeouts with one shared clock instead of a timer per call
 *   (request-deadlines.ts).
 * - Fallback: only around a call that can have a fallback (its action declares one, or its
 *   caller passed `fallbackResponse`); Moleculer's puts a `.catch` on every call, twice per
 *   HTTP request, for a fallback no call of the gateway has.
 * Added: lean process series (process-metrics.ts) in place of Moleculer's process and OS ones.
 */
import * as Moleculer from "moleculer";
import type { ActionHandler, ActionSchema, Context, Middleware, ServiceBroker } from "moleculer";
import { processMetrics } from "./process-metrics";
import { requestDeadlines } from "./request-deadlines";

type ActionWrapper = (this: ServiceBroker, next: ActionHandler, action: ActionSchema) => ActionHandler;
type MiddlewareFactory = (broker: ServiceBroker) => Middleware;
type BuiltIn = Record<string, unknown> & { localAction?: ActionWrapper; remoteAction?: ActionWrapper; localEvent?: unknown };

function builtIn(name: string): MiddlewareFactory {
	// Moleculer exports its middlewares at run time without typing them.
	return (Moleculer as unknown as { Middlewares: Record<string, MiddlewareFactory> }).Middlewares[name] as MiddlewareFactory;
}

/** Moleculer's context tracker, for contexts of calls that came from another node only. */
function remoteCallTracker(broker: ServiceBroker): Middleware {
	const tracker = builtIn("ContextTracker")(broker) as unknown as BuiltIn;
	const track = tracker.localAction as ActionWrapper;
	return {
		...tracker,
		localAction(this: ServiceBroker, next: ActionHandler, action: ActionSchema): ActionHandler {
			const tracked = track.call(this, next, action);
			if (tracked === next) return next;
			const local = next as unknown as (ctx: Context) => Promise<unknown>;
			const remote = tracked as unknown as (ctx: Context) => Promise<unknown>;
			return ((ctx: Context) => (ctx.nodeID === broker.nodeID ? local(ctx) : remote(ctx))) as unknown as ActionHandler;
		},
		// The caller's side of a remote call is answered or retried; the callee tracks the call.
		remoteAction: undefined
	} as unknown as Middleware;
}

/** Moleculer's retry policy, for calls to another node only. */
function remoteCallRetry(broker: ServiceBroker): Middleware {
	const retry = builtIn("Retry")(broker) as unknown as BuiltIn;
	return { ...retry, localAction: undefined } as unknown as Middleware;
}

/** Moleculer's fallback, where it can apply: the action's own `fallback`, or the call's `fallbackResponse`. */
export function fallbackWhereDeclared(broker: ServiceBroker): Middleware {
	const fallback = builtIn("Fallback")(broker) as unknown as BuiltIn;
	const scoped = (wrap: ActionWrapper): ActionWrapper =>
		function (this: ServiceBroker, next: ActionHandler, action: ActionSchema): ActionHandler {
			const withFallback = wrap.call(this, next, action) as unknown as (ctx: Context) => Promise<unknown>;
			if ((action as { fallback?: unknown }).fallback) return withFallback as unknown as ActionHandler;
			const plain = next as unknown as (ctx: Context) => Promise<unknown>;
			return ((ctx: Context) => (ctx.options.fallbackResponse ? withFallback(ctx) : plain(ctx))) as unknown as ActionHandler;
		};
	return { ...fallback, localAction: scoped(fallback.localAction as ActionWrapper), remoteAction: scoped(fallback.remoteAction as ActionWrapper) } as unknown as Middleware;
}

/** A hot-reloading development run (`--hot`) still gets Moleculer's HotReload middleware. */
function hotReloadWhenAsked(broker: ServiceBroker): Middleware {
	return broker.options.hotReload ? builtIn("HotReload")(broker) : ({ name: "HotReloadOff" } as Middleware);
}

export interface BrokerMiddlewareOptions {
	/** Moleculer's per-call request metrics (METRICS_ACTIONS=true). */
	readonly actionMetrics: boolean;
}

/** The list of Moleculer 0.15's INTERNAL_MIDDLEWARES, in order, with the changes above. */
export function brokerMiddlewares(options: BrokerMiddlewareOptions): (string | MiddlewareFactory)[] {
	return [
		"ActionHook",
		"Validator",
		"Bulkhead",
		"Cacher",
		remoteCallTracker,
		"CircuitBreaker",
		requestDeadlines,
		remoteCallRetry,
		fallbackWhereDeclared,
		"ErrorHandler",
		"Tracing",
		...(options.actionMetrics ? ["Metrics"] : []),
		"Debounce",
		"Throttle",
		hotReloadWhenAsked,
		processMetrics
	];
}
