/**
 * A Moleculer logger that keeps every line in memory, so a test can read what the gateway
 * logged (and prove what it never logs).
 */
import { inspect } from "node:util";
import { Loggers } from "moleculer";

export interface LogLine {
	readonly level: string;
	readonly module: string;
	readonly args: unknown[];
	/** The whole line as text, objects included. */
	readonly text: string;
}

export class CaptureLogger extends Loggers.Base<{ level: "info" | "debug" }> {
	readonly lines: LogLine[] = [];

	constructor(level: "info" | "debug" = "info") {
		super({ level });
	}

	override getLogHandler(bindings: { mod: string }) {
		const levels = ["fatal", "error", "warn", "info", "debug", "trace"];
		const max = levels.indexOf(this.opts.level ?? "info");
		return (level: string, args: unknown[]) => {
			if (levels.indexOf(level) > max) return;
			const text = args.map(arg => (typeof arg === "string" ? arg : inspect(arg, { depth: 5, breakLength: Infinity }))).join(" ");
			this.lines.push({ level, module: bindings.mod, args, text });
		};
	}

	get text(): string {
		return this.lines.map(line => `${line.level} ${line.module} ${line.text}`).join("\n");
	}
}
