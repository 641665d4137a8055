/** A metric's current value for one set of labels in a broker's registry; 0 when it has none yet. */
import type { ServiceBroker } from "moleculer";

export function metricValue(broker: ServiceBroker, name: string, labels: Record<string, string>): number {
	const metric = broker.metrics.getMetric(name);
	return (metric?.get(labels) as { value?: number } | null)?.value ?? 0;
}
