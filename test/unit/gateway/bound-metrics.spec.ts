/**
 * A bound series must read, to every reporter, exactly as if the registry's own methods had
 * been called: the same counts, sums and cumulative buckets in the registry's snapshot and on
 * the Prometheus endpoint.
 */
import { ServiceBroker } from "moleculer";
import { boundCounter, boundHistogram } from "../../../lib/gateway/bound-metrics";

const BUCKETS = [0.001, 0.01, 0.1, 1];
const VALUES = [0.0005, 0.001, 0.002, 0.05, 0.5, 0.5, 3, 0.00001];

function brokerWithSeries(): ServiceBroker {
	const broker = new ServiceBroker({ logger: false, metrics: { enabled: true, collectProcessMetrics: false } });
	broker.metrics.register({ type: "counter", name: "things_total", labelNames: ["kind", "status"] });
	broker.metrics.register({ type: "histogram", name: "thing_seconds", labelNames: ["kind"], buckets: BUCKETS });
	return broker;
}

function snapshotOf(broker: ServiceBroker, name: string): unknown {
	return (broker.metrics.getMetric(name) as unknown as { snapshot(): Array<Record<string, unknown>> }).snapshot().map(({ timestamp: _t, lastValue: _l, key: _k, ...rest }) => rest);
}

describe("bound metric series", () => {
	it("count as the registry's own increment does, per label set", () => {
		const byRegistry = brokerWithSeries();
		const bound = brokerWithSeries();
		const ok = boundCounter(bound.metrics, "things_total", { kind: "a", status: 200 });
		const failed = boundCounter(bound.metrics, "things_total", { kind: "a", status: 500 });
		for (let i = 0; i < 5; i++) {
			byRegistry.metrics.increment("things_total", { kind: "a", status: 200 });
			ok();
		}
		byRegistry.metrics.increment("things_total", { kind: "a", status: 500 }, 3);
		failed(3);
		expect(snapshotOf(bound, "things_total")).toEqual(snapshotOf(byRegistry, "things_total"));
		expect((snapshotOf(bound, "things_total") as Array<{ value: number }>).map(item => item.value)).toEqual([5, 3]);
	});

	it("observe as the registry's own observe does: count, sum and cumulative buckets, also after the registry's own observations", () => {
		const byRegistry = brokerWithSeries();
		const bound = brokerWithSeries();
		// One observation through the registry before binding: binding keeps it.
		byRegistry.metrics.observe("thing_seconds", 0.02, { kind: "b" });
		bound.metrics.observe("thing_seconds", 0.02, { kind: "b" });
		const observe = boundHistogram(bound.metrics, "thing_seconds", { kind: "b" });
		for (const value of VALUES) {
			byRegistry.metrics.observe("thing_seconds", value, { kind: "b" });
			observe(value);
		}
		const snapshot = snapshotOf(bound, "thing_seconds") as Array<{ count: number; buckets: Record<string, number> }>;
		expect(snapshot).toEqual(snapshotOf(byRegistry, "thing_seconds"));
		expect(snapshot[0]?.count).toBe(VALUES.length + 1);
		expect(snapshot[0]?.buckets).toEqual({ "0.001": 3, "0.01": 4, "0.1": 6, "1": 8 });
	});

	it("cost nothing and keep nothing when the broker's metrics are off", () => {
		const broker = new ServiceBroker({ logger: false, metrics: false });
		const count = boundCounter(broker.metrics, "things_total", { kind: "a" });
		const observe = boundHistogram(broker.metrics, "thing_seconds", { kind: "a" });
		expect(() => {
			count();
			observe(1);
		}).not.toThrow();
		expect(broker.metrics.getMetric("things_total")).toBeNull();
	});
});
