/**
 * Measurements: one load job against one gateway with the gateway's RSS and CPU share around
 * it, measured again when other processes kept the machine busy, in interleaved rounds.
 */
import type { BenchArgs } from "./args";
import type { Gateway, JobSpec, LoadGenerator } from "./children";
import type { LoadResult, TokenSource } from "./protocol";
import { cpus } from "node:os";
import { coresBusy, cpuTimes, median, percentile, stealShare, stealTimes, type FixedRate, type Round, type Row } from "./report";

/** Other processes may use this much of a core during a measurement before it is taken again. */
const BUSY_LIMIT = 0.25;
/** The hypervisor may take this share of the machine's time during a measurement before it is taken again. */
export const STEAL_LIMIT = 0.15;
export const ATTEMPTS = 3;

export interface Scenario {
	readonly id: string;
	readonly title: string;
	/** Gateway ids, measured in this order in the first round (each later round starts one further on). */
	readonly gateways: readonly string[];
	readonly tokens: (id: string) => TokenSource;
	/**
	 * Run after each slice of a round, every gateway idle (B-EdDSA: the signature threads'
	 * capacity of that moment), so it sees the machine the slices saw.
	 */
	readonly afterSlice?: (round: number, slice: number) => Promise<void>;
}

export interface Measurer {
	readonly args: BenchArgs;
	readonly loadgen: LoadGenerator;
	readonly gateways: ReadonlyMap<string, Gateway>;
}

export function progress(line: string): void {
	process.stderr.write(`${line}\n`);
}

export function describe(round: Round): string {
	const load = round.load;
	const bad = load.non2xx + load.errors > 0 ? `  NON-2XX ${load.non2xx} ERRORS ${load.errors}` : "";
	const rate = `${Math.round(load.rps).toLocaleString("en-US")} req/s`;
	return `${rate}  p50 ${load.p50.toFixed(2)} ms  p99 ${load.p99.toFixed(2)} ms  other CPU ${Math.round(round.otherCpu * 100)} %  steal ${Math.round(round.steal * 100)} %${bad}`;
}

async function measureOnce(m: Measurer, gateway: Gateway, spec: JobSpec): Promise<Round> {
	const before = await gateway.usage();
	const machineBefore = cpuTimes();
	const stealBefore = stealTimes();
	const load = await m.loadgen.run(spec, spec.duration * 1000 + 30_000);
	const busy = coresBusy(machineBefore, cpuTimes());
	const steal = stealShare(stealBefore, stealTimes());
	const after = await gateway.usage();
	const gatewayCpu = (after.cpuMicros - before.cpuMicros) / 1e6 / load.duration;
	return { load, rss: after.rss, gatewayCpu, otherCpu: Math.max(0, busy - gatewayCpu - load.cpu), steal };
}

/** Cores' worth of the machine that was not the gateway's and the generator's to use during a round. */
function disturbance(round: Round): number {
	return round.otherCpu + round.steal * cpus().length;
}

/**
 * Taken again (at most ATTEMPTS times in all) while other processes load the machine or its
 * hypervisor takes much of it; the least disturbed attempt counts.
 */
async function measure(m: Measurer, id: string, job: (url: string) => JobSpec, label: string, retry = true): Promise<Round> {
	const gateway = m.gateways.get(id);
	if (gateway === undefined) throw new Error(`no gateway ${id} in this run`);
	const spec = job(`${gateway.url}/api/protected`);
	let best: Round | null = null;
	// A smoke run only checks that everything runs: no second attempts.
	const attempts = retry && !m.args.smoke ? ATTEMPTS : 1;
	for (let attempt = 1; attempt <= attempts; attempt++) {
		const round = await measureOnce(m, gateway, spec);
		if (best === null || disturbance(round) < disturbance(best)) best = round;
		if (round.otherCpu <= BUSY_LIMIT && round.steal <= STEAL_LIMIT) break;
		if (attempt < attempts) progress(`${label}: ${describe(round)}: machine busy, measuring again`);
	}
	progress(`${label}: ${describe(best as Round)}`);
	return best as Round;
}

/**
 * The order of the gateways in a round: the first round's, turned by one more place each round,
 * so that no gateway always runs right after the same other one (the recipe leaves the machine
 * hot, say) or always first.
 */
export function roundOrder<T>(gateways: readonly T[], round: number): T[] {
	const turn = gateways.length === 0 ? 0 : (round - 1) % gateways.length;
	return [...gateways.slice(turn), ...gateways.slice(0, turn)];
}

/** How many slices a measurement of `duration` seconds is taken in (bench/args.ts: --slice). */
export function slicesOf(args: { readonly duration: number; readonly slice: number }): number {
	return Math.max(1, Math.round(args.duration / args.slice));
}

/**
 * The latency percentiles of a round's slices: of all their requests together where every slice
 * brought its latencies (paced jobs), otherwise the medians of the slices' own (wrk reports
 * only percentiles).
 */
function latencyOf(loads: readonly LoadResult[]): Pick<LoadResult, "p50" | "p99" | "max"> {
	if (loads.every(load => load.latencies !== undefined)) {
		const all = Float64Array.from(loads.flatMap(load => load.latencies ?? [])).sort();
		return { p50: percentile(all, 0.5), p99: percentile(all, 0.99), max: percentile(all, 1) };
	}
	return { p50: median(loads.map(load => load.p50)), p99: median(loads.map(load => load.p99)), max: Math.max(...loads.map(load => load.max)) };
}

/**
 * One gateway's slices of a round as one measurement: its requests over the time they took;
 * latency percentiles as latencyOf gives them, the shares averaged over time, RSS after the
 * last. The round keeps no list of latencies (the results file stays small).
 */
export function combined(slices: readonly Round[]): Round {
	const last = slices[slices.length - 1];
	if (last === undefined) throw new Error("a round needs at least one slice");
	if (slices.length === 1 && last.load.latencies === undefined) return last;
	const loads = slices.map(slice => slice.load);
	const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
	const duration = sum(loads.map(load => load.duration));
	const timeWeighted = (share: (round: Round) => number): number => sum(slices.map(round => share(round) * round.load.duration)) / duration;
	const statusCodes: Record<string, number> = {};
	for (const load of loads) for (const [status, count] of Object.entries(load.statusCodes)) statusCodes[status] = (statusCodes[status] ?? 0) + count;
	const requests = sum(loads.map(load => load.requests));
	return {
		load: {
			requests,
			duration,
			rps: requests / duration,
			...latencyOf(loads),
			non2xx: sum(loads.map(load => load.non2xx)),
			errors: sum(loads.map(load => load.errors)),
			statusCodes,
			cpu: timeWeighted(round => round.load.cpu)
		},
		rss: last.rss,
		gatewayCpu: timeWeighted(round => round.gatewayCpu),
		otherCpu: timeWeighted(round => round.otherCpu),
		steal: timeWeighted(round => round.steal)
	};
}

/**
 * One round: each gateway's --duration as --slice slices, the gateways' slices in turn (each
 * slice one place further on in the order), combined into one Round per gateway.
 */
async function measureRoundInSlices<K extends string>(
	m: Measurer,
	kinds: readonly K[],
	round: number,
	job: (kind: K) => (url: string) => JobSpec,
	label: string,
	afterSlice?: (round: number, slice: number) => Promise<void>
): Promise<Map<K, Round>> {
	const slices = slicesOf(m.args);
	const taken = new Map<K, Round[]>(kinds.map(kind => [kind, []]));
	for (let slice = 1; slice <= slices; slice++) {
		for (const kind of roundOrder(kinds, round + slice - 1)) {
			const where = `${label} ${round}/${m.args.rounds}${slices > 1 ? ` slice ${slice}/${slices}` : ""} ${kind}`;
			taken.get(kind)?.push(await measure(m, kind, job(kind), where));
		}
		await afterSlice?.(round, slice);
	}
	const results = new Map<K, Round>();
	for (const kind of kinds) {
		const result = combined(taken.get(kind) ?? []);
		if (slices > 1) progress(`${label} ${round}/${m.args.rounds} ${kind}: ${describe(result)}`);
		results.set(kind, result);
	}
	return results;
}

/**
 * Warm-up for each gateway, then rounds that alternate between the gateways. Within a round
 * each gateway's measurement is cut into slices (--slice, 1 s by default), taken in turn with
 * the other gateways' slices: this host's speed swings by half within seconds (steal, a
 * neighbour's load on the shared core), and a gateway measured 15 s after another saw a
 * different machine; one second apart, both see nearly the same one.
 */
export async function runScenario(m: Measurer, scenario: Scenario): Promise<Row[]> {
	const { rounds, warmup, duration, connections } = m.args;
	const slices = slicesOf(m.args);
	const saturate = (kind: string, seconds: number) => (url: string): JobSpec => ({ type: "saturate", url, connections, duration: seconds, tokens: scenario.tokens(kind) });
	const sent = new Map<string, number>();
	const measured = new Map<string, Round[]>(scenario.gateways.map(kind => [kind, []]));
	for (const kind of scenario.gateways) {
		const warm = await measure(m, kind, saturate(kind, warmup), `${scenario.id} warm-up ${kind}`, false);
		sent.set(kind, warm.load.requests);
	}
	for (let round = 1; round <= rounds; round++) {
		const taken = await measureRoundInSlices(m, scenario.gateways, round, kind => saturate(kind, duration / slices), `${scenario.id} round`, scenario.afterSlice);
		for (const [kind, result] of taken) {
			sent.set(kind, (sent.get(kind) ?? 0) + result.load.requests);
			measured.get(kind)?.push(result);
		}
	}
	return scenario.gateways.map(kind => ({ scenario: scenario.id, gateway: kind, rounds: measured.get(kind) ?? [], tokensSent: sent.get(kind) ?? 0 }));
}

/**
 * Scenario A at a fixed rate below saturation, no auth and ours alternating: the latency auth
 * adds. Each round's measurement is cut into slices taken in turn, as the saturating ones are
 * (this host's speed drifts within seconds, and its slow moments make the tail), and a round's
 * p99 is that of all its slices' requests together.
 */
export async function fixedRate(m: Measurer, token: string, rate: number): Promise<FixedRate> {
	const { rounds, duration, connections } = m.args;
	const slices = slicesOf(m.args);
	const measured: Record<"none" | "ours", Round[]> = { none: [], ours: [] };
	const paced = (seconds: number) => (url: string): JobSpec => ({ type: "paced", url, connections, rate, duration: seconds, tokens: { kind: "fixed", token } });
	// A paced warm-up first: the first seconds of a new pattern (fresh connections, JIT) land in p99.
	for (const kind of ["none", "ours"] as const) await measure(m, kind, paced(m.args.warmup), `A at ${rate} req/s, warm-up ${kind}`, false);
	for (let round = 1; round <= rounds; round++) {
		const taken = await measureRoundInSlices(m, ["none", "ours"] as const, round, () => paced(duration / slices), `A at ${rate} req/s, round`);
		for (const [kind, result] of taken) measured[kind].push(result);
	}
	const side = (list: Round[]) => ({ p50: median(list.map(r => r.load.p50)), p99: median(list.map(r => r.load.p99)), rounds: list });
	const none = side(measured.none);
	const ours = side(measured.ours);
	const roundByRound = measured.ours.map((round, i) => round.load.p99 - (measured.none[i]?.load.p99 ?? Number.NaN)).filter(Number.isFinite);
	return { rate, none, ours, addedP99: ours.p99 - none.p99, addedP99ByRound: roundByRound };
}

export function failures(rounds: readonly Round[]): LoadResult[] {
	return rounds.map(round => round.load).filter(load => load.non2xx + load.errors > 0 || load.requests === 0);
}
