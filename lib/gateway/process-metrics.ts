/**
 * A few process series in place of Moleculer's process and OS metrics, which also publish the
 * host name, user name, home directory, network addresses and process arguments to whoever can
 * read the metrics port. Sampled every few seconds, off the request path.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Middleware, ServiceBroker } from "moleculer";

export const PROCESS_METRIC_NAMES = {
	rss: "process_resident_memory_bytes",
	cpu: "process_cpu_seconds_total",
	heap: "nodejs_heap_used_bytes",
	loopDelayP99: "nodejs_eventloop_delay_p99_seconds"
} as const;

const SAMPLE_MS = 5000;

/** A broker middleware: it registers the series when the broker is created and samples them while it runs. */
export function processMetrics(broker: ServiceBroker): Middleware {
	let timer: NodeJS.Timeout | undefined;
	const delay = monitorEventLoopDelay({ resolution: 20 });
	const sample = (): void => {
		const metrics = broker.metrics;
		const cpu = process.cpuUsage();
		metrics.set(PROCESS_METRIC_NAMES.rss, process.memoryUsage.rss());
		metrics.set(PROCESS_METRIC_NAMES.cpu, (cpu.user + cpu.system) / 1e6);
		metrics.set(PROCESS_METRIC_NAMES.heap, process.memoryUsage().heapUsed);
		metrics.set(PROCESS_METRIC_NAMES.loopDelayP99, delay.percentile(99) / 1e9);
		delay.reset();
	};
	return {
		name: "ProcessMetrics",
		created() {
			if (!broker.isMetricsEnabled()) return;
			const gauge = (name: string, description: string, unit?: string) => broker.metrics.register({ type: "gauge", name, description, ...(unit ? { unit } : {}) });
			gauge(PROCESS_METRIC_NAMES.rss, "Resident memory of this process", "bytes");
			// A counter in Prometheus' sense, set from the process' own total.
			broker.metrics.register({ type: "counter", name: PROCESS_METRIC_NAMES.cpu, description: "CPU time of this process (all threads), user and system", unit: "seconds" });
			gauge(PROCESS_METRIC_NAMES.heap, "V8 heap in use", "bytes");
			gauge(PROCESS_METRIC_NAMES.loopDelayP99, "99th percentile of the event loop's delay over the last interval", "seconds");
		},
		async started() {
			if (!broker.isMetricsEnabled()) return;
			delay.enable();
			sample();
			timer = setInterval(sample, SAMPLE_MS);
			timer.unref();
		},
		async stopped() {
			clearInterval(timer);
			delay.disable();
		}
	} as Middleware;
}
