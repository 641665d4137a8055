/**
 * HTTP requests by route and status, and their latency by route, in Moleculer's metric
 * registry (so on its Prometheus endpoint). The route label is the matched alias
 * ("GET /api/protected"), or "unmatched": a label a client cannot make up, so the number of
 * series stays that of the routes. Each series is bound once (bound-metrics.ts).
 */
import type { MetricRegistry } from "moleculer";
import { boundCounter, boundHistogram, type BoundCounter, type BoundHistogram } from "./bound-metrics";

export const HTTP_METRIC_NAMES = {
	requests: "http_requests_total",
	seconds: "http_request_duration_seconds"
} as const;

const UNMATCHED = "unmatched";
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface RouteSeries {
	readonly route: string;
	readonly byStatus: Map<number, BoundCounter>;
	readonly seconds: BoundHistogram;
}

/** What moleculer-web leaves on a request it routed. */
export interface RoutedRequest {
	readonly $alias?: { readonly method?: string; readonly fullPath?: string } | null;
}

export class HttpMetrics {
	/** By alias object: a request's route is found without building its label. */
	private readonly byAlias = new WeakMap<object, RouteSeries>();
	private readonly byLabel = new Map<string, RouteSeries>();

	constructor(private readonly registry: MetricRegistry) {
		registry.register({ type: "counter", name: HTTP_METRIC_NAMES.requests, description: "HTTP requests by route and status", labelNames: ["route", "status"] });
		registry.register({
			type: "histogram",
			name: HTTP_METRIC_NAMES.seconds,
			description: "Time from the request's arrival to its answer, by route",
			labelNames: ["route"],
			unit: "seconds",
			buckets: BUCKETS
		});
	}

	record(req: RoutedRequest, status: number, seconds: number): void {
		const alias = req.$alias;
		let series = alias ? this.byAlias.get(alias) : this.byLabel.get(UNMATCHED);
		if (series === undefined) {
			series = this.series(alias ? `${alias.method ?? "*"} ${alias.fullPath ?? ""}` : UNMATCHED);
			if (alias) this.byAlias.set(alias, series);
		}
		let count = series.byStatus.get(status);
		if (count === undefined) {
			count = boundCounter(this.registry, HTTP_METRIC_NAMES.requests, { route: series.route, status });
			series.byStatus.set(status, count);
		}
		count();
		series.seconds(seconds);
	}

	private series(route: string): RouteSeries {
		let series = this.byLabel.get(route);
		if (series === undefined) {
			series = { route, byStatus: new Map(), seconds: boundHistogram(this.registry, HTTP_METRIC_NAMES.seconds, { route }) };
			this.byLabel.set(route, series);
		}
		return series;
	}
}
