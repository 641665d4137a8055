/**
 * Summaries of the measured rounds, the Markdown report and bench/results/*.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem, type as osType, release } from "node:os";
import { join } from "node:path";
import type { LoadResult } from "./protocol";

export const MiB = 1024 * 1024;

export interface Round {
	readonly load: LoadResult;
	/** Bytes, sampled right after the round. */
	readonly rss: number;
	/** Share of one core the gateway used during the round. */
	readonly gatewayCpu: number;
	/** Cores busy with anything but the gateway and the load generator (other processes). */
	readonly otherCpu: number;
	/** Share of the machine's time its hypervisor gave to other guests (steal); 0 where unknown. */
	readonly steal: number;
}

export interface Row {
	readonly scenario: string;
	readonly gateway: string;
	readonly rounds: readonly Round[];
	/** Tokens sent to this gateway in this scenario, warm-up included. */
	readonly tokensSent: number;
}

export interface Summary {
	readonly scenario: string;
	readonly gateway: string;
	readonly rps: number;
	readonly p50: number;
	readonly p99: number;
	readonly rssMiB: number;
	readonly gatewayCpu: number;
	readonly loadgenCpu: number;
	readonly otherCpu: number;
	/** The largest steal of the rounds. */
	readonly steal: number;
	/** Microseconds of the gateway's CPU time per answered request. */
	readonly cpuMicrosPerRequest: number;
	readonly non2xx: number;
	readonly errors: number;
	/** rps / rps of the gateway without authentication in the same scenario; null for that gateway. */
	readonly ratio: number | null;
}

export interface FixedRate {
	readonly rate: number;
	readonly none: { readonly p50: number; readonly p99: number; readonly rounds: readonly Round[] };
	readonly ours: { readonly p50: number; readonly p99: number; readonly rounds: readonly Round[] };
	/** The difference of the two medians: the headline. */
	readonly addedP99: number;
	/** Ours' p99 less plain's, round by round (they ran in the same seconds), in round order. */
	readonly addedP99ByRound: readonly number[];
}

/** The value at quantile `q` of ascending `sorted` (the nearest rank below); 0 when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
	return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
}

export function mean(values: readonly number[]): number {
	return values.length === 0 ? Number.NaN : values.reduce((total, value) => total + value, 0) / values.length;
}

export function median(values: readonly number[]): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarise(rows: readonly Row[]): Summary[] {
	const base = (scenario: string): Row | undefined => rows.find(row => row.scenario === scenario && row.gateway === "none");
	return rows.map(row => {
		const rps = median(row.rounds.map(round => round.load.rps));
		const baseRow = base(row.scenario);
		const baseRps = baseRow === undefined ? Number.NaN : median(baseRow.rounds.map(round => round.load.rps));
		return {
			scenario: row.scenario,
			gateway: row.gateway,
			rps,
			p50: median(row.rounds.map(round => round.load.p50)),
			p99: median(row.rounds.map(round => round.load.p99)),
			rssMiB: Math.max(...row.rounds.map(round => round.rss)) / MiB,
			gatewayCpu: median(row.rounds.map(round => round.gatewayCpu)),
			loadgenCpu: Math.max(...row.rounds.map(round => round.load.cpu)),
			otherCpu: Math.max(...row.rounds.map(round => round.otherCpu)),
			steal: Math.max(...row.rounds.map(round => round.steal)),
			cpuMicrosPerRequest: median(row.rounds.map(round => (round.load.rps > 0 ? (round.gatewayCpu * 1e6) / round.load.rps : Number.NaN))),
			non2xx: row.rounds.reduce((sum, round) => sum + round.load.non2xx, 0),
			errors: row.rounds.reduce((sum, round) => sum + round.load.errors, 0),
			ratio: row.gateway === "none" ? null : rps / baseRps
		};
	});
}

/** Milliseconds all cores spent busy and in total so far (for the share used by other processes). */
export function cpuTimes(): { busy: number; total: number } {
	let busy = 0;
	let total = 0;
	for (const { times } of cpus()) {
		const all = times.user + times.nice + times.sys + times.idle + times.irq;
		total += all;
		busy += all - times.idle;
	}
	return { busy, total };
}

/**
 * Steal and total time of the machine so far, in ticks, from Linux's /proc/stat: time a virtual
 * machine's cores were ready to run but its hypervisor ran another guest. On a shared host it
 * comes and goes with the neighbours' load, and a round that lost much of it measured them.
 * Zeros where /proc/stat cannot be read.
 */
export function stealTimes(): { steal: number; total: number } {
	try {
		const fields = (readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
		return { steal: fields[7] ?? 0, total: fields.reduce((sum, value) => sum + value, 0) };
	} catch {
		return { steal: 0, total: 0 };
	}
}

/** Share of the machine's time stolen between two `stealTimes()`. */
export function stealShare(before: { steal: number; total: number }, after: { steal: number; total: number }): number {
	const total = after.total - before.total;
	return total > 0 ? Math.max(0, after.steal - before.steal) / total : 0;
}

/** Cores busy between two `cpuTimes()`. */
export function coresBusy(before: { busy: number; total: number }, after: { busy: number; total: number }): number {
	const total = after.total - before.total;
	return total > 0 ? ((after.busy - before.busy) / total) * cpus().length : 0;
}

export function machine(): Record<string, string | number> {
	return {
		cpu: cpus()[0]?.model ?? "unknown",
		cores: cpus().length,
		memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
		os: `${osType()} ${release()}`,
		node: process.version
	};
}

const int = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a");
const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
const percent = (value: number): string => `${Math.round(value * 100)} %`;

export interface ReportScenario {
	readonly id: string;
	readonly title: string;
	readonly gateways: readonly string[];
}

/** One table of every scenario and gateway, then how ours compares with each baseline. */
export function markdown(summaries: readonly Summary[], scenarios: readonly ReportScenario[], labels: ReadonlyMap<string, string>, comparisons = true): string {
	const lines = [
		"| scenario | gateway | req/s (median) | ratio to plain | CPU µs/req | p50 ms | p99 ms | RSS MiB | gateway CPU | loadgen CPU | other CPU | steal |",
		"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	];
	const find = (scenario: string, id: string): Summary | undefined => summaries.find(row => row.scenario === scenario && row.gateway === id);
	for (const scenario of scenarios) {
		for (const id of scenario.gateways) {
			const s = find(scenario.id, id);
			const label = `${scenario.id}: ${scenario.title}`;
			const name = labels.get(id) ?? id;
			if (s === undefined) {
				lines.push(`| ${label} | ${name} | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |`);
				continue;
			}
			const ratio = s.ratio === null ? "1.00" : fixed(s.ratio);
			lines.push(
				`| ${label} | ${name} | ${int(s.rps)} | ${ratio} | ${fixed(s.cpuMicrosPerRequest, 1)} | ${fixed(s.p50)} | ${fixed(s.p99)} | ${fixed(s.rssMiB, 1)} | ${percent(s.gatewayCpu)} | ${percent(s.loadgenCpu)} | ${percent(s.otherCpu)} | ${percent(s.steal)} |`
			);
		}
	}
	if (!comparisons) return lines.join("\n");
	lines.push("", "| scenario | ours / plain with metrics (req/s) | ours / recipe (req/s) |", "|---|---:|---:|");
	for (const scenario of scenarios) {
		const ours = find(scenario.id, "ours");
		const against = (id: string, missing: string): string => {
			const other = find(scenario.id, id);
			return ours && other ? fixed(ours.rps / other.rps) : missing;
		};
		lines.push(`| ${scenario.id} | ${against("none-metrics", "n/a")} | ${against("recipe", "n/a (the recipe cannot verify EdDSA)")} |`);
	}
	return lines.join("\n");
}

/**
 * Ours against the plain gateway round by round: each round ran the two within seconds of each
 * other, so a ratio taken inside a round cancels the host's slower drift, which the ratio of
 * the two medians (the table's) does not. Both are shown; the table's is the headline.
 */
export function pairedRatioLines(rows: readonly Row[], scenarios: readonly ReportScenario[]): string[] {
	const lines = ["", "| scenario | ours / plain, round by round (req/s) | median of those |", "|---|---|---:|"];
	for (const scenario of scenarios) {
		const rounds = (id: string) => rows.find(row => row.scenario === scenario.id && row.gateway === id)?.rounds ?? [];
		const plain = rounds("none");
		const ratios = rounds("ours").map((round, i) => round.load.rps / (plain[i]?.load.rps ?? Number.NaN)).filter(Number.isFinite);
		if (ratios.length === 0) continue;
		lines.push(`| ${scenario.id} | ${ratios.map(ratio => fixed(ratio)).join(", ")} | ${fixed(median(ratios))} |`);
	}
	return lines;
}

export function fixedRateLine(result: FixedRate): string {
	return (
		`Fixed rate, scenario A, ${int(result.rate)} req/s (open loop, median of rounds): no auth p50 ${fixed(result.none.p50)} ms, p99 ${fixed(result.none.p99)} ms; ` +
		`ours p50 ${fixed(result.ours.p50)} ms, p99 ${fixed(result.ours.p99)} ms; p99 added by auth: ${fixed(result.addedP99)} ms ` +
		`(round by round: ${result.addedP99ByRound.map(added => fixed(added)).join(", ")}; median of those ${result.addedP99ByRound.length === 0 ? "n/a" : fixed(median(result.addedP99ByRound))} ms)`
	);
}

export function writeResult(name: string, result: object): string {
	const dir = join(__dirname, "results");
	mkdirSync(dir, { recursive: true });
	const file = join(dir, name);
	writeFileSync(file, `${JSON.stringify(result, null, "\t")}\n`);
	return file;
}

export { int, fixed };
