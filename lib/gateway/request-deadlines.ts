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
import { Stream } from "node:stream";
import { Errors, type ActionHandler, type ActionSchema, type Context, type Middleware, type ServiceBroker } from "moleculer";

export const CHECK_INTERVAL_MS = 10;

/** Moleculer's name for the series (METRIC.MOLECULER_REQUEST_TIMEOUT_TOTAL). */
const TIMEOUT_METRIC = "moleculer.request.timeout.total";

interface ActionFacts {
	readonly timeout: number | undefined;
	readonly name: string;
	readonly service: string | null;
}

/** A call in flight: what its expiry needs, kept as fields rather than in a closure per call. */
class InFlight {
	/** Its place in the in-flight list while it is there; -1 once answered or expired. */
	slot = -1;

	constructor(
		/** Milliseconds, as msOf reads them. */
		readonly deadline: number,
		readonly ctx: Context,
		readonly action: ActionFacts,
		readonly timeout: number,
		readonly fail: (err: Error) => void
	) {}
}

/** Milliseconds of `time`, a `process.hrtime()` reading: the clock `ctx.startHrTime` holds. */
function msOf(time: [number, number]): number {
	return time[0] * 1e3 + time[1] / 1e6;
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

export function requestDeadlines(broker: ServiceBroker): Middleware {
	const inFlight = new InFlightList();
	let checker: NodeJS.Timeout | null = null;

	function check(): void {
		for (const call of inFlight.takeExpired(msOf(process.hrtime()))) call.fail(timedOut(call.ctx, call.action, call.timeout));
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
			// One clock reading a call: the start Moleculer's nested calls count from, and the deadline's.
			const startedAt = process.hrtime();
			if (!ctx.startHrTime) ctx.startHrTime = startedAt;
			const answer = handler(ctx);
			if (!isThenable(answer)) return answer;
			return new Promise((resolve, reject) => {
				const call = new InFlight(msOf(startedAt) + timeout, ctx, action, timeout, reject);
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
