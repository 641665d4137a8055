/**
 * A trace exporter that keeps every finished span as text (name, tags, logs), as Jaeger or
 * Zipkin would receive it, so a test can prove what never reaches a span.
 */
import { TracerExporters, type Span, type TracerOptions } from "moleculer";

/** JSON of anything, cycles and functions left out: what an exporter could serialise. */
function text(value: unknown): string {
	const seen = new WeakSet<object>();
	return JSON.stringify(value, (_key, inner: unknown) => {
		if (typeof inner === "function") return undefined;
		if (typeof inner === "object" && inner !== null) {
			if (seen.has(inner)) return "[cycle]";
			seen.add(inner);
		}
		return typeof inner === "bigint" ? String(inner) : inner;
	});
}

export class CaptureExporter extends TracerExporters.Base {
	readonly spans: { name: string; text: string }[] = [];

	constructor() {
		super({});
	}

	override spanFinished(span: Span): void {
		this.spans.push({ name: span.name, text: `${span.name} ${text(span.tags)} ${text(span.logs)}` });
	}
}

/** Moleculer resolves an exporter instance as it is, but its typings list only `{ type, options }`. */
export function exporterOption(exporter: CaptureExporter): TracerOptions["exporter"] {
	return exporter as unknown as TracerOptions["exporter"];
}
