/**
 * The gateway's request timeouts (lib/gateway/request-deadlines.ts), in a real broker with the
 * middleware list moleculer.config.ts uses: Moleculer's meaning, one shared clock.
 */
import { Errors, type Context } from "moleculer";
import { brokerMiddlewares } from "../../lib/gateway/broker-middlewares";
import { CHECK_INTERVAL_MS } from "../../lib/gateway/request-deadlines";
import { CaptureLogger } from "../support/capture-logger";
import { brokerWithGatewayMiddlewares } from "../support/middleware-broker";
import { bearer, get, startGateway, waitFor, type Gateway } from "../support/gateway";
import { KeyServer } from "../support/key-server";
import { metricValue } from "../support/metric-value";

const REQUEST_TIMEOUT_MS = 100;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

class Refused extends Errors.MoleculerError {}

function timers(): number {
	return process.getActiveResourcesInfo().filter(kind => kind === "Timeout").length;
}

/** An action with its own timeout (a schema field Moleculer 0.15's typings leave out). */
const patient = { timeout: 400, handler: (ctx: Context<{ ms: number }>) => sleep(ctx.params.ms).then(() => "done") };

describe("request deadlines", () => {
	const childOutcomes: string[] = [];
	const logger = new CaptureLogger();
	const broker = brokerWithGatewayMiddlewares({ logger, requestTimeout: REQUEST_TIMEOUT_MS });
	broker.createService({
		name: "slow",
		actions: {
			wait: (ctx: Context<{ ms: number }>) => sleep(ctx.params.ms).then(() => ({ waited: ctx.params.ms })),
			refuse: () => Promise.reject(new Refused("no", 409, "REFUSED")),
			patient,
			/** Waits, then calls `slow.wait` with whatever time its own deadline leaves, and notes how that went. */
			parent: async (ctx: Context<{ before: number; child: number }>) => {
				await sleep(ctx.params.before);
				const outcome = await ctx.call("slow.wait", { ms: ctx.params.child }).then(
					() => "answered",
					(err: Error) => err.name
				);
				childOutcomes.push(outcome);
				return outcome;
			}
		}
	});

	beforeAll(() => broker.start());
	afterAll(() => broker.stop());

	const timeouts = (action: string): number => metricValue(broker, "moleculer.request.timeout.total", { service: "slow", action });

	it("fails a late call with Moleculer's RequestTimeoutError, its warning and its metric", async () => {
		const startedAt = performance.now();
		const err = await broker.call("slow.wait", { ms: 1000 }).catch((e: unknown) => e);
		const elapsed = performance.now() - startedAt;
		expect(err).toBeInstanceOf(Errors.RequestTimeoutError);
		expect(err).toMatchObject({ code: 504, retryable: true, data: { action: "slow.wait" } });
		expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 1);
		// The shared clock looks every CHECK_INTERVAL_MS; a loaded machine adds its own delay.
		expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + 400);
		expect(logger.lines.some(line => line.level === "warn" && line.text.includes("Request 'slow.wait' is timed out."))).toBe(true);
		expect(timeouts("slow.wait")).toBe(1);
		// The late action itself sleeps on: its timer must be gone before the next test counts timers.
		await sleep(Math.max(0, 1000 - (performance.now() - startedAt)) + 50);
	});

	it("answers a call in time with its value, and keeps no timer once nothing is in flight", async () => {
		const before = timers();
		const pending = broker.call("slow.wait", { ms: 30 });
		// The clock runs while the call is in flight (the action's own sleep is the other timer)...
		expect(timers()).toBe(before + 2);
		await expect(pending).resolves.toEqual({ waited: 30 });
		// ...and stops with the last call. Counted until it is back, within a bound: a timer of
		// something else in the process that ends meanwhile (a clean-clone run once counted one
		// more at the first look) must not decide; a clock that never stops stays one over.
		const deadline = performance.now() + 1000;
		await sleep(CHECK_INTERVAL_MS * 3);
		while (timers() !== before && performance.now() < deadline) await sleep(CHECK_INTERVAL_MS);
		expect(timers()).toBe(before);
	});

	it("passes an action's own error through unchanged, not as a timeout", async () => {
		const before = timeouts("slow.refuse");
		await expect(broker.call("slow.refuse")).rejects.toBeInstanceOf(Refused);
		expect(timeouts("slow.refuse")).toBe(before);
	});

	it("takes the call's timeout first, then the action's, then requestTimeout", async () => {
		await expect(broker.call("slow.patient", { ms: 250 })).resolves.toBe("done");
		await expect(broker.call("slow.patient", { ms: 250 }, { timeout: 50 })).rejects.toBeInstanceOf(Errors.RequestTimeoutError);
		await expect(broker.call("slow.wait", { ms: 250 }, { timeout: 400 })).resolves.toEqual({ waited: 250 });
		await expect(broker.call("slow.wait", { ms: 150 }, { timeout: 0 })).resolves.toEqual({ waited: 150 });
	});

	it("gives a nested call only what is left of its parent's time", async () => {
		await expect(broker.call("slow.parent", { before: 10, child: 10 })).resolves.toBe("answered");
		// The parent's 100 ms are over before it calls: Moleculer skips the call instead of
		// giving it a fresh 100 ms, which it can only do when the parent's start was noted.
		const err = await broker.call("slow.parent", { before: REQUEST_TIMEOUT_MS + 30, child: 10 }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(Errors.RequestTimeoutError);
		expect(err).toMatchObject({ data: { action: "slow.parent" } });
		// The parent goes on after its caller's timeout: wait for its child call's outcome.
		await waitFor(() => childOutcomes.length === 2, 2000);
		expect(childOutcomes).toEqual(["answered", "RequestSkippedError"]);
	});

	it("cuts exactly the late calls among many in flight at once, with one clock for all of them", async () => {
		const before = timers();
		const calls = Array.from({ length: 400 }, (_, i) => broker.call("slow.wait", { ms: i % 2 === 0 ? 10 : 300 }).then(
			() => "answered",
			(err: unknown) => (err instanceof Errors.RequestTimeoutError ? "timed out" : "other")
		));
		// One timer per action's own sleep, one clock: not a timer per call as well.
		expect(timers() - before).toBe(400 + 1);
		const outcomes = await Promise.all(calls);
		expect(outcomes.filter((outcome, i) => outcome === (i % 2 === 0 ? "answered" : "timed out"))).toHaveLength(400);
	});
});

/**
 * The gateway's `rest` action has no deadline of its own (api.service.ts): an HTTP request is
 * still cut at requestTimeout, by the deadline of the call it makes to the service.
 */
describe("request deadlines behind the gateway", () => {
	const TIMEOUT_MS = 150;
	let issuer: KeyServer;
	let gateway: Gateway;

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("RS256", "deadline-key");
		gateway = await startGateway(
			{ JWT_ISSUER: issuer.issuer },
			{
				broker: { requestTimeout: TIMEOUT_MS, internalMiddlewares: false, middlewares: brokerMiddlewares({ actionMetrics: false }) as never },
				services: [{ name: "protected", actions: { get: { auth: "required", handler: () => sleep(3000).then(() => ({ message: "too late" })) } } } as never]
			}
		);
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	it("answers 504 once the service's call is late, with the rest action untimed", async () => {
		const rest = gateway.api.schema.actions as { rest: { timeout?: number } };
		expect(rest.rest.timeout).toBe(0);
		const startedAt = Date.now();
		const res = await get(`${gateway.url}/api/protected`, bearer(issuer.mint()));
		const took = Date.now() - startedAt;
		expect(res.status).toBe(504);
		expect(res.body).toMatchObject({ name: "RequestTimeoutError", data: { action: "protected.get" } });
		expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS);
		expect(took).toBeLessThan(2000);
	});
});
