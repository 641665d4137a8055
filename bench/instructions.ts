/**
 * `npm run bench -- --instructions`: the instructions each gateway executes per request, counted
 * by callgrind (bench/callgrind.ts), in the same gateways and scenarios as the timed run (with
 * `--costs`, of each default's variant). Each gateway is measured alone, in turn: warmed up with
 * instrumentation off, then a few instrumented requests so that callgrind has translated the hot
 * code, then the counters are zeroed and `--requests` requests are counted, 64 connections.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callgrindInstalled, dumpInstructions, instrument, zeroCounters } from "./callgrind";
import { stopChildren, type Gateway, type IssuerEnv } from "./children";
import { COST_GATEWAYS, instructionCostTable, MAIN_GATEWAYS, scenariosOf, SHIPPED_COMMAND } from "./gateways";
import { progress, type Scenario } from "./measure";
import { DECLARED_CLAIMS, type GatewaySpec } from "./protocol";
import { machine, median, writeResult } from "./report";
import type { Bench } from "./run";
import { startGateway } from "./shipped";
import { mintFile, oneToken } from "./tokens";

/** The counted requests come in this many slices. */
const SLICES = 5;
/** Instrumented requests before the counted ones: callgrind translates code the first time it runs. */
const SETTLE_REQUESTS = 500;
/** Uninstrumented requests first, for V8's optimising compiler (under callgrind, about 1,500 a second). */
const WARM_REQUESTS = 20_000;
/** The first instrumented requests wait while callgrind translates the code they run. */
const REQUEST_TIMEOUT_S = 120;

export interface InstructionCount {
	readonly scenario: string;
	readonly gateway: string;
	readonly requests: number;
	/** The median of the slices. */
	readonly perRequest: number;
	/** Instructions per request of each slice, in order. */
	readonly slices: readonly number[];
}

/** Requests per slice: autocannon needs at least one per connection. */
function sliceSize(bench: Bench): number {
	return Math.max(bench.args.connections, Math.round(bench.args.requests / SLICES));
}

/** A smoke run only checks that counting works. */
function warmRequests(bench: Bench): number {
	return bench.args.smoke ? bench.args.requests : Math.max(bench.args.requests, WARM_REQUESTS);
}

async function count(bench: Bench, gateway: Gateway, scenario: Scenario): Promise<InstructionCount> {
	const { args, loadgen } = bench;
	const pid = gateway.pid;
	if (pid === undefined) throw new Error(`gateway ${gateway.spec.id} has no process`);
	const job = (amount: number) =>
		({ type: "saturate", url: `${gateway.url}/api/protected`, connections: args.connections, duration: 0, amount, timeoutSeconds: REQUEST_TIMEOUT_S, tokens: scenario.tokens(gateway.spec.id) }) as const;
	// Up to 20 ms a request (the recipe's RSA checks, instrumented), and a minute to spare.
	const run = async (amount: number) => {
		const load = await loadgen.run(job(amount), (REQUEST_TIMEOUT_S + 60) * 1000 + amount * 20);
		if (load.non2xx + load.errors > 0 || load.requests !== amount) {
			throw new Error(`${scenario.id} ${gateway.spec.id}: ${load.requests} answers of ${amount}, ${load.non2xx} non-2xx, ${load.errors} errors`);
		}
		return load;
	};
	await run(warmRequests(bench));
	instrument(pid, true);
	try {
		await run(SETTLE_REQUESTS);
		// Counted in slices, each dumped on its own: a slice that caught V8 compiling or collecting
		// the old generation stands out, and the median leaves it out.
		const slices: number[] = [];
		const size = sliceSize(bench);
		for (let slice = 0; slice < SLICES; slice++) {
			zeroCounters(pid);
			const load = await run(size);
			slices.push(dumpInstructions(gateway.spec.callgrind as string, pid) / load.requests);
		}
		const result: InstructionCount = { scenario: scenario.id, gateway: gateway.spec.id, requests: size * SLICES, perRequest: median(slices), slices };
		const shown = slices.map(value => Math.round(value).toLocaleString("en-US")).join(", ");
		progress(`${scenario.id} ${gateway.spec.id}: ${Math.round(result.perRequest).toLocaleString("en-US")} instructions per request (slices: ${shown})`);
		return result;
	} finally {
		instrument(pid, false);
	}
}

function table(counts: readonly InstructionCount[], scenarios: readonly Scenario[], labels: ReadonlyMap<string, string>): string {
	const lines = [`| scenario | gateway | instructions per request (median of ${SLICES} slices) | range of the slices | ratio to plain |`, "|---|---|---:|---:|---:|"];
	for (const scenario of scenarios) {
		const plain = counts.find(c => c.scenario === scenario.id && c.gateway === "none");
		for (const id of scenario.gateways) {
			const c = counts.find(item => item.scenario === scenario.id && item.gateway === id);
			const count = (value: number): string => Math.round(value).toLocaleString("en-US");
			const perRequest = c === undefined ? "n/a" : count(c.perRequest);
			const range = c === undefined ? "n/a" : `${count(Math.min(...c.slices))} to ${count(Math.max(...c.slices))}`;
			const ratio = c === undefined || plain === undefined ? "n/a" : (c.perRequest / plain.perRequest).toFixed(2);
			lines.push(`| ${scenario.id}: ${scenario.title} | ${labels.get(id) ?? id} | ${perRequest} | ${range} | ${ratio} |`);
		}
	}
	return lines.join("\n");
}

export async function runInstructions(bench: Bench): Promise<number> {
	const { args, keys, tokenDir } = bench;
	if (!callgrindInstalled()) throw new Error("--instructions needs valgrind with callgrind_control (apt-get install valgrind)");
	// BENCH_CALLGRIND_DIR=<dir> keeps callgrind's dumps there, for callgrind_annotate.
	const kept = process.env.BENCH_CALLGRIND_DIR;
	const dir = kept === undefined || kept === "" ? mkdtempSync(join(tmpdir(), "bench-callgrind-")) : kept;
	mkdirSync(dir, { recursive: true });
	try {
		const [rsa, ed] = keys.keys as [(typeof keys.keys)[number], (typeof keys.keys)[number]];
		const env: IssuerEnv = { BENCH_ISSUER: keys.issuer, BENCH_JWKS_URI: keys.jwksUri };
		const specs: GatewaySpec[] = (args.costs ? COST_GATEWAYS : MAIN_GATEWAYS).map(spec => ({ ...spec, callgrind: dir }));
		const claims = args.costs ? { ...DECLARED_CLAIMS } : undefined;
		const started = specs.map(spec => startGateway(spec, env));
		const [rsaFile, edFile] = await Promise.all([
			mintFile(rsa, keys.issuer, args.tokens, tokenDir.file("rs256.txt"), claims),
			mintFile(ed, keys.issuer, args.tokens, tokenDir.file("eddsa.txt"), claims),
			...started.map(gateway => gateway.ready())
		]);
		const scenarios = scenariosOf(args, specs, oneToken(rsa, keys.issuer, claims), rsaFile as string, edFile as string);
		progress(`gateways ready under callgrind: ${started.map(g => g.spec.id).join(", ")}`);
		const byId = new Map(started.map(gateway => [gateway.spec.id, gateway]));
		const counts: InstructionCount[] = [];
		for (const scenario of scenarios) {
			for (const id of scenario.gateways) counts.push(await count(bench, byId.get(id) as Gateway, scenario));
		}
		for (const gateway of started) gateway.stop();
		await stopChildren();

		const info = machine();
		const labels = new Map(specs.map(spec => [spec.id, spec.label]));
		const keyed = new Map(counts.map(c => [`${c.scenario}/${c.gateway}`, c.perRequest]));
		const report = [
			"",
			`Machine: ${info.cpu}, ${info.cores} cores, ${info.os}; Node ${info.node}`,
			`Instructions per request, counted by valgrind's callgrind over ${(sliceSize(bench) * SLICES).toLocaleString("en-US")} requests per gateway and scenario in ${SLICES} slices (${args.connections} connections),`,
			`after ${warmRequests(bench).toLocaleString("en-US")} uninstrumented and ${SETTLE_REQUESTS} instrumented ones: every thread of the gateway's process, user space only (not the kernel's share, not cache misses).`,
			`ours: ${SHIPPED_COMMAND}`,
			"",
			table(counts, scenarios, labels),
			...(args.costs ? ["", instructionCostTable(keyed)] : []),
			""
		].join("\n");
		process.stdout.write(report);
		const file = writeResult(args.costs ? "instruction-costs.json" : "instructions.json", { date: new Date().toISOString(), machine: info, args, gateways: specs, counts });
		process.stdout.write(`Written to ${file}\n`);
		return 0;
	} finally {
		if (dir !== kept) rmSync(dir, { recursive: true, force: true });
	}
}
