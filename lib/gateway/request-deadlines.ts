/**
 * Moleculer's Timeout middleware with one shared clock. Moleculer's own arms a timer and races
 * three promises for every action call, two calls per HTTP request, whether or not anything is
 * ever late. Here a call only notes its deadline; one interval, running while any call is in
 * flight, fails the late ones. The meaning is Moleculer's: the same timeout (the call's, the
 * action's, then `requestTimeout`), the same `RequestTimeoutError` (retryable, so the retry
 * policy sees it as before), the same warning, metric and stream event, and `ctx.startHrTime`
 * for the distributed timeout of nested calls. A late call fails up to `CHECK_INTERVAL_MS`
 * after its deadline instead of on it.
 */
import { performance } from "node:perf_hooks";
import { Stream } from "node:stream";
import { Errors, type ActionHandler, type ActionSchema, type Context, type Middleware, type ServiceBroker } from "moleculer";

export const CHECK_INTERVAL_MS = 10;

/** Moleculer's name for the series (METRIC.MOLECULER_REQUEST_TIMEOUT_TOTAL). */
const TIMEOUT_METRIC = "moleculer.request.timeout.total";

interface InFlight {
	readonly deadline: number;
	readonly expire: () => void;
	/** Its place in the in-flight list while it is there; -1 once answered or expired. */
	slot: number;
}

/**
 * The calls in flight: added at the end, removed by moving the last one into the gap. A Set
 * did the same with a hash per call and shrank its table each time the calls in flight
 * drained (~650 instructions a request under callgrind, of a cached token's ~140,000).
 */
class InFlightList {
	private readonly calls: InFlight[] = [];

	get size(): number {
		return this.calls.length;
	}

	add(call: InFlight): void {
		call.slot = this.calls.length;
		this.calls.push(call);
	}

	delete(call: InFlight): void {
		const slot = call.slot;
		if (slot < 0) return;
		call.slot = -1;
		const last = this.calls.pop() as InFlight;
		if (last === call) return;
		this.calls[slot] = last;
		last.slot = slot;
	}

	/** Those whose deadline has passed, taken out of the list. */
	takeExpired(now: number): InFlight[] {
		const expired = this.calls.filter(call => call.deadline <= now);
		for (const call of expired) this.delete(call);
		return expired;
	}
}

interface ActionFacts {
	readonly timeout: number | undefined;
	readonly name: string;
	readonly service: string | null;
}

export function requestDeadlines(broker: ServiceBroker): Middleware {
	const inFlight = new InFlightList();
	let checker: NodeJS.Timeout | null = null;

	function check(): void {
		for (const call of inFlight.takeExpired(performance.now())) call.expire();
		if (inFlight.size === 0 && checker !== null) {
			clearInterval(checker);
			checker = null;
		}
	}

	function timedOut(ctx: Context, action: ActionFacts, timeout: number): Error {
		const nodeID = ctx.nodeID;
		broker.logger.warn(`Request '${action.name}' is timed out.`, { requestID: ctx.requestID, nodeID, timeout });
		if (ctx.params instanceof Stream) ctx.params.emit("moleculer-timeout-middleware", timeout);
		if (broker.isMetricsEnabled()) broker.metrics.increment(TIMEOUT_METRIC, { service: action.service, action: action.name });
		return new Errors.RequestTimeoutError({ action: action.name, nodeID });
	}

	function wrap(next: ActionHandler, schema: ActionSchema): ActionHandler {
		const handler = next as unknown as (ctx: Context) => unknown;
		const { service, timeout: actionTimeout } = schema as { service?: { fullName?: string }; timeout?: number };
		const action: ActionFacts = { timeout: actionTimeout, name: schema.name ?? "", service: service?.fullName ?? null };
		return ((ctx: Context) => {
			if (ctx.options.timeout == null) ctx.options.timeout = action.timeout ?? broker.options.requestTimeout;
			const timeout = ctx.options.timeout ?? 0;
			if (!(timeout > 0)) return handler(ctx);
			if (!ctx.startHrTime) ctx.startHrTime = process.hrtime();
			const answer = handler(ctx);
			if (!isThenable(answer)) return answer;
			return new Promise((resolve, reject) => {
				const call: InFlight = { deadline: performance.now() + timeout, expire: () => reject(timedOut(ctx, action, timeout)), slot: -1 };
				inFlight.add(call);
				checker ??= setInterval(check, CHECK_INTERVAL_MS);
				answer.then(
					value => {
						inFlight.delete(call);
						resolve(value);
					},
					(err: unknown) => {
						inFlight.delete(call);
						reject(err);
					}
				);
			});
		}) as unknown as ActionHandler;
	}

	return {
		name: "Timeout",
		created() {
			if (broker.isMetricsEnabled()) {
				broker.metrics.register({ name: TIMEOUT_METRIC, type: "counter", labelNames: ["service", "action"], description: "Number of timed out requests", rate: true });
			}
		},
		async stopped() {
			if (checker !== null) clearInterval(checker);
			checker = null;
		},
		localAction: wrap,
		remoteAction: wrap
	} as unknown as Middleware;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
	return typeof (value as { then?: unknown } | null)?.then === "function";
}
