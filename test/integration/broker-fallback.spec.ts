/**
 * Moleculer's fallbacks behind the gateway's middleware list (lib/gateway/broker-middlewares.ts):
 * an action's own `fallback` and a caller's `fallbackResponse` answer as Moleculer's do, and a
 * call that can have neither runs without Moleculer's catch around it.
 */
import { Errors, ServiceBroker, type ActionHandler, type ActionSchema, type Context, type Middleware } from "moleculer";
import { brokerMiddlewares, fallbackWhereDeclared } from "../../lib/gateway/broker-middlewares";
import { CaptureLogger } from "../support/capture-logger";
import { brokerWithGatewayMiddlewares } from "../support/middleware-broker";
import { metricValue } from "../support/metric-value";

class Refused extends Errors.MoleculerError {}

describe("fallbacks with the gateway's middlewares", () => {
	const logger = new CaptureLogger();
	const broker = brokerWithGatewayMiddlewares({ logger });
	broker.createService({
		name: "flaky",
		actions: {
			withFallback: { fallback: "stand_in", handler: () => Promise.reject(new Refused("no", 409, "REFUSED")) },
			without: () => Promise.reject(new Refused("no", 409, "REFUSED")),
			fine: () => ({ fine: true })
		},
		methods: {
			stand_in(_ctx: Context, err: Error) {
				return { standIn: true, because: err.message };
			}
		}
	});

	beforeAll(() => broker.start());
	afterAll(() => broker.stop());

	const fallbacks = (action: string): number => metricValue(broker, "moleculer.request.fallback.total", { service: "flaky", action });

	it("answers a failed call with the action's own fallback, with Moleculer's warning and metric", async () => {
		await expect(broker.call("flaky.withFallback")).resolves.toEqual({ standIn: true, because: "no" });
		expect(fallbacks("flaky.withFallback")).toBe(1);
		expect(logger.lines.some(line => line.level === "warn" && line.text.includes("'flaky.withFallback' request is failed"))).toBe(true);
	});

	it("answers a failed call with the caller's fallbackResponse, value or function", async () => {
		await expect(broker.call("flaky.without", {}, { fallbackResponse: { cached: 1 } })).resolves.toEqual({ cached: 1 });
		await expect(broker.call("flaky.without", {}, { fallbackResponse: (_ctx: Context, err: Error) => `from ${err.name}` })).resolves.toBe("from Refused");
	});

	it("passes the error of a call without a fallback through, and the answer of a call that succeeds", async () => {
		await expect(broker.call("flaky.without")).rejects.toMatchObject({ name: "Refused", type: "REFUSED", code: 409 });
		await expect(broker.call("flaky.fine")).resolves.toEqual({ fine: true });
	});
});

describe("fallbackWhereDeclared", () => {
	const broker = new ServiceBroker({ logger: false });
	const middleware = fallbackWhereDeclared(broker) as Middleware & { localAction: (next: ActionHandler, action: ActionSchema) => (ctx: Context) => Promise<unknown> };
	const answer = Promise.resolve("answer");
	const next = (() => answer) as unknown as ActionHandler;
	const ctx = (options: object) => ({ options }) as unknown as Context;

	it("stands in for Moleculer's Fallback in the gateway's list, at its place", () => {
		const list = brokerMiddlewares({ actionMetrics: false });
		expect(list).not.toContain("Fallback");
		expect(list.indexOf(fallbackWhereDeclared)).toBe(list.indexOf("ErrorHandler") - 1);
	});

	it("hands a call that can have no fallback the action's own promise: no catch, no promise of its own", () => {
		const handler = middleware.localAction(next, { name: "x.y" } as ActionSchema);
		expect(handler(ctx({ timeout: null }))).toBe(answer);
	});

	it("puts Moleculer's catch around a call with a fallbackResponse, and around every call of an action with a fallback", () => {
		expect(middleware.localAction(next, { name: "x.y" } as ActionSchema)(ctx({ fallbackResponse: 1 }))).not.toBe(answer);
		expect(middleware.localAction(next, { name: "x.y", fallback: () => 1 } as unknown as ActionSchema)(ctx({}))).not.toBe(answer);
	});
});
