/**
 * Series of Moleculer's metric registry with their labels bound once. The registry's own
 * `increment` and `observe` hash the labels, stamp the time and notify every reporter on each
 * call, which costs more than the rest of a cached token check; a bound series keeps a
 * reference to the registry's item for its labels and updates it in place. Every reporter
 * (Prometheus, console, ...) reads the same items, so nothing changes for them: they see the
 * series as if the registry's methods had been called.
 *
 * Relies on the shape of Moleculer 0.15's metric items (`value`; `count`, `sum`,
 * `bucketValues`), pinned by package-lock.json and checked by test/unit/gateway/bound-metrics.spec.ts.
 */
import type { MetricRegistry } from "moleculer";

type Labels = Readonly<Record<string, string | number>>;

interface MetricLike {
	readonly labelNames: readonly string[];
	readonly values: Map<string, Record<string, unknown>>;
	hashingLabels(labels: Labels): string;
	setDirty(): void;
}

interface CounterLike extends MetricLike {
	increment(labels: Labels, value: number): void;
}

interface HistogramLike extends MetricLike {
	readonly buckets?: readonly number[];
	resetItem(item: Record<string, unknown>, timestamp?: number): Record<string, unknown>;
}

export type BoundCounter = (by?: number) => void;
export type BoundHistogram = (value: number) => void;

const noop = (): void => undefined;

function metric<T>(registry: MetricRegistry, name: string): T {
	const found = registry.getMetric(name);
	if (found === null) throw new Error(`metric ${name} is not registered`);
	return found as unknown as T;
}

function only(labels: Labels, names: readonly string[]): Record<string, string | number> {
	return Object.fromEntries(names.map(name => [name, labels[name] as string | number]));
}

/** A counter series of `name` with these labels; counting through it skips the registry's per-call work. */
export function boundCounter(registry: MetricRegistry, name: string, labels: Labels): BoundCounter {
	// With metrics off the registry keeps nothing: counting costs nothing either.
	if (!registry.isEnabled()) return noop;
	const counter = metric<CounterLike>(registry, name);
	// The registry creates the item (value 0) as its own increment would.
	counter.increment(labels, 0);
	const item = counter.values.get(counter.hashingLabels(labels)) as { value: number };
	return (by = 1) => {
		item.value += by;
		counter.setDirty();
	};
}

/** A histogram series of `name` with these labels (buckets only, no quantiles). */
export function boundHistogram(registry: MetricRegistry, name: string, labels: Labels): BoundHistogram {
	if (!registry.isEnabled()) return noop;
	const histogram = metric<HistogramLike>(registry, name);
	const hash = histogram.hashingLabels(labels);
	let item = histogram.values.get(hash) as { count: number; sum: number; bucketValues: Record<number, number> } | undefined;
	if (item === undefined) {
		item = histogram.resetItem({ labels: only(labels, histogram.labelNames) }) as unknown as NonNullable<typeof item>;
		histogram.values.set(hash, item as unknown as Record<string, unknown>);
	}
	const bound = item as unknown as { count: number; sum: number; bucketValues: Record<string, number> };
	const buckets = [...(histogram.buckets ?? [])];
	// Moleculer's buckets are cumulative (a value counts in every bucket at or above it) and keyed
	// by the bound as a string: updating a dozen such keys per observation costs more than the
	// rest of a cached token check. Here an observation adds one to its own bucket, and the
	// item's bucketValues become getters that sum up when a reporter reads them.
	const own = new Float64Array(buckets.length);
	let below = 0;
	buckets.forEach((le, i) => {
		const cumulative = bound.bucketValues[String(le)] ?? 0;
		own[i] = cumulative - below;
		below = cumulative;
	});
	const cumulative: Record<string, number> = {};
	buckets.forEach((le, i) => {
		Object.defineProperty(cumulative, String(le), {
			enumerable: true,
			get: () => {
				let sum = 0;
				for (let j = 0; j <= i; j++) sum += own[j] as number;
				return sum;
			}
		});
	});
	bound.bucketValues = cumulative;
	return value => {
		bound.count += 1;
		bound.sum += value;
		let i = 0;
		while (i < buckets.length && value > (buckets[i] as number)) i++;
		if (i < buckets.length) own[i] = (own[i] as number) + 1;
		histogram.setDirty();
	};
}
