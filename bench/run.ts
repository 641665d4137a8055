/**
 * `npm run bench`: ours as it ships (the built project started like `npm run serve`) against a
 * plain moleculer-web gateway without authentication, the same with Moleculer's Prometheus
 * metrics, and the common jwks-rsa + jsonwebtoken recipe, each in its own process, measured
 * in interleaved rounds by a load generator in another process, against a key server in this
 * one. `--costs` measures what each default of ours costs instead (bench/gateways.ts).
 * Loopback only; a watchdog ends the run if anything hangs. Options: bench/args.ts.
 */
import { KeyServer } from "../test/support/key-server";
import { parseArgs, type BenchArgs } from "./args";
import { CapacityProbe } from "./capacity-probe";
import { killChildren, LoadGenerator, stopChildren, type IssuerEnv } from "./children";
import { capacityLine, comparisonLines, costTable, COST_GATEWAYS, MAIN_GATEWAYS, scenariosOf, SHIPPED_COMMAND } from "./gateways";
import { runFlood } from "./flood";
import { ATTEMPTS, failures, fixedRate, progress, runScenario, slicesOf, STEAL_LIMIT, type Measurer } from "./measure";
import { runInstructions } from "./instructions";
import { DECLARED_CLAIMS } from "./protocol";
import { fixedRateLine, machine, markdown, mean, pairedRatioLines, summarise, writeResult, type Row } from "./report";
import { startGateway } from "./shipped";
import { mintFile, oneToken, TokenDir } from "./tokens";
import { saturatingGenerator } from "./wrk";

export interface Bench {
	readonly args: BenchArgs;
	readonly keys: KeyServer;
	readonly tokenDir: TokenDir;
	readonly loadgen: LoadGenerator;
}

const MAX_FIXED_RATE = 5000;
/** Warm-up of the probe before each slice's measurement: its threads are already started, it only fills their queues. */
const PROBE_SLICE_WARMUP = 0.25;

async function runBench(bench: Bench): Promise<number> {
	const { keys, args, tokenDir, loadgen } = bench;
	const [rsa, ed] = keys.keys as [(typeof keys.keys)[number], (typeof keys.keys)[number]];
	const env: IssuerEnv = { BENCH_ISSUER: keys.issuer, BENCH_JWKS_URI: keys.jwksUri };
	const specs = args.costs ? COST_GATEWAYS : MAIN_GATEWAYS;
	const started = specs.map(spec => startGateway(spec, env));
	// A --costs run's tokens carry what the declared variant requires; every gateway gets the same tokens.
	const claims = args.costs ? { ...DECLARED_CLAIMS } : undefined;
	const [rsaFile, edFile] = await Promise.all([
		mintFile(rsa, keys.issuer, args.tokens, tokenDir.file("rs256.txt"), claims),
		mintFile(ed, keys.issuer, args.tokens, tokenDir.file("eddsa.txt"), claims),
		...started.map(gateway => gateway.ready())
	]);
	const m: Measurer = { args, loadgen, gateways: new Map(started.map(gateway => [gateway.spec.id, gateway])) };
	const fixedToken = oneToken(rsa, keys.issuer, claims);
	// The signature threads alone, measured after each slice of every B-EdDSA round (bench/capacity-probe.ts).
	const probe = args.costs || !args.scenarios.includes("B-EdDSA") ? null : new CapacityProbe(edFile as string, ed.jwk);
	// Each B-EdDSA round's probe readings, one per slice; a round's capacity is their mean.
	const probeSlices = new Map<number, number[]>();
	const scenarios = scenariosOf(args, specs, fixedToken, rsaFile as string, edFile as string).map(scenario =>
		scenario.id !== "B-EdDSA" || probe === null
			? scenario
			: {
					...scenario,
					afterSlice: async (round: number, slice: number) => {
						const { perSecond } = await probe.measure(args.duration / slicesOf(args), false, PROBE_SLICE_WARMUP);
						const readings = [...(probeSlices.get(round) ?? []), perSecond];
						probeSlices.set(round, readings);
						if (slice === slicesOf(args)) progress(`B-EdDSA round ${round}/${args.rounds}: signature threads alone, between the slices, ${Math.round(mean(readings)).toLocaleString("en-US")} checks/s`);
					}
				}
	);
	progress(`gateways ready: ${started.map(g => `${g.spec.id} ${g.url}`).join(", ")}; ${args.tokens.toLocaleString("en-US")} tokens per algorithm minted`);

	const rows: Row[] = [];
	let latency: Awaited<ReturnType<typeof fixedRate>> | null = null;
	for (const scenario of scenarios) {
		rows.push(...(await runScenario(m, scenario)));
		if (scenario.id !== "A" || args.costs) continue;
		const saturated = (id: string): number => summarise(rows).find(s => s.scenario === "A" && s.gateway === id)?.rps ?? 0;
		// Half of saturation, and low enough that the generator, sharing the machine, never queues.
		const rate = args.rate ?? Math.max(10, Math.round(Math.min(saturated("none") * 0.5, saturated("ours") * 0.5, MAX_FIXED_RATE)));
		// Right after A, in A's state: the gateways have not yet churned through B's tokens.
		latency = await fixedRate(m, fixedToken, rate);
	}
	// With the other cores kept busy by spinning threads: what this host does to a core while the others work.
	const busy = probe === null ? null : await probe.measure(args.duration, true);
	probe?.stop();
	const capacity = busy === null ? null : { rounds: [...probeSlices.values()].map(mean), busyPerSecond: busy.perSecond, threads: busy.threads, spinners: busy.spinners };
	const summaries = summarise(rows);
	for (const gateway of started) gateway.stop();

	const info = machine();
	const labels = new Map(specs.map(spec => [spec.id, spec.label]));
	const report = [
		"",
		`Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.os}`,
		`Node ${info.node}; ${args.rounds} round(s) x ${args.duration} s per measurement (saturating: ${slicesOf(args)} slice(s) interleaved), ${args.warmup} s warm-up, ${args.connections} connections, pipelining 1${args.smoke ? " (smoke)" : ""}`,
		`Load generator: ${saturatingGenerator() === "wrk" ? "wrk, 1 thread" : "autocannon"} (fixed rate: our open-loop client); ours: ${SHIPPED_COMMAND}`,
		"",
		markdown(summaries, scenarios, labels, !args.costs),
		...(args.costs ? [] : pairedRatioLines(rows, scenarios)),
		...(args.costs ? [] : comparisonLines(summaries)),
		"",
		...(latency === null ? [] : [fixedRateLine(latency)]),
		...(capacity === null ? [] : [capacityLine(capacity, rows)]),
		...(args.costs ? ["", costTable(rows)] : []),
		"req/s, p50, p99 and CPU µs/req: medians of the rounds; RSS: largest after a round. CPU: share of one core used during the rounds by the gateway,",
		"the load generator, and all other processes; steal: largest share of the machine's time its hypervisor gave to other guests in a round (over its slices)",
		`(a measurement or slice is taken again, up to ${ATTEMPTS} times, when others use more than a quarter of a core or steal is above ${STEAL_LIMIT * 100} %; the least disturbed attempt counts).`,
		""
	].join("\n");
	process.stdout.write(report);
	const file = writeResult(args.costs ? "costs.json" : "latest.json", { date: new Date().toISOString(), machine: info, args, gateways: specs, summaries, fixedRate: latency, threadCapacity: capacity, rows });
	process.stdout.write(`Written to ${file}\n`);

	// Every request carried a valid token: anything but 2xx means the numbers measure something else.
	const broken = [...rows.flatMap(row => failures(row.rounds)), ...(latency === null ? [] : failures([...latency.none.rounds, ...latency.ours.rounds]))];
	for (const load of broken) process.stderr.write(`FAILED: a measurement got ${load.non2xx} non-2xx answers and ${load.errors} errors (${load.requests} answers)\n`);
	return broken.length === 0 ? 0 : 1;
}

/** Seconds the run may take before the watchdog ends it. */
function budget(args: BenchArgs): number {
	if (args.flood) return 180 + (args.floodCount * 2 * 2) / 1000;
	// Under callgrind: minutes to start; up to 20 ms a request (the recipe's RSA checks, instrumented).
	if (args.instructions) return 900 + (args.tokens / 1000) * 2 + 16 * (args.requests + 500) * 0.02 + 16 * 20_000 * 0.003;
	const measurements = (16 + 2) * args.rounds * (args.duration + 2 * slicesOf(args)) * ATTEMPTS;
	return 180 + (args.tokens / 1000) * 2 + 16 * (args.warmup + 2) + measurements;
}

async function main(): Promise<number> {
	const args = parseArgs(process.argv.slice(2));
	const watchdog = setTimeout(() => {
		process.stderr.write(`bench: still running after ${Math.round(budget(args))} s; stopping\n`);
		killChildren();
		process.exit(2);
	}, budget(args) * 1000);
	watchdog.unref();
	for (const signal of ["SIGINT", "SIGTERM"] as const) {
		process.on(signal, () => {
			killChildren();
			process.exit(130);
		});
	}
	const keys = await new KeyServer().start();
	keys.addKey("RS256", "bench-rs256");
	keys.addKey("EdDSA", "bench-ed25519");
	const bench: Bench = { args, keys, tokenDir: new TokenDir(), loadgen: new LoadGenerator() };
	try {
		if (args.flood) return await runFlood(bench);
		return args.instructions ? await runInstructions(bench) : await runBench(bench);
	} finally {
		await stopChildren();
		bench.tokenDir.remove();
		await keys.stop();
	}
}

main().then(
	code => process.exit(code),
	(err: unknown) => {
		process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
		killChildren();
		process.exit(1);
	}
);
