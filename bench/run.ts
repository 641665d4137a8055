/**
 * `npm run bench`: the same moleculer-web gateway without authentication, with the common
 * jwks-rsa + jsonwebtoken recipe, and with our verifier, each in its own process, measured in
 * interleaved rounds by a load generator in another process, against a key server in this one.
 * Loopback only; a watchdog ends the run if anything hangs. Options: bench/args.ts.
 */
import { defaultThreadCount } from "../lib/auth/signature-threads";
import { KeyServer } from "../test/support/key-server";
import { parseArgs, type BenchArgs } from "./args";
import { GatewayProcess, killChildren, LoadGenerator, stopChildren } from "./children";
import { runFlood } from "./flood";
import { ATTEMPTS, failures, fixedRate, progress, runScenario, type Measurer, type Scenario } from "./measure";
import type { GatewayKind } from "./protocol";
import { fixedRateLine, machine, markdown, summarise, writeResult, type Row } from "./report";
import { mintFile, oneToken, TokenDir } from "./tokens";
import { saturatingGenerator } from "./wrk";

export interface Bench {
	readonly args: BenchArgs;
	readonly keys: KeyServer;
	readonly tokenDir: TokenDir;
	readonly loadgen: LoadGenerator;
}

const ALL: readonly GatewayKind[] = ["none", "recipe", "ours"];
const MAX_FIXED_RATE = 5000;

async function runBench(bench: Bench): Promise<number> {
	const { keys, args, tokenDir, loadgen } = bench;
	const [rsa, ed] = keys.keys as [(typeof keys.keys)[number], (typeof keys.keys)[number]];
	const env = { BENCH_ISSUER: keys.issuer, BENCH_JWKS_URI: keys.jwksUri };
	const started = ALL.map(kind => new GatewayProcess(kind, env));
	const [rsaFile, edFile] = await Promise.all([
		mintFile(rsa, keys.issuer, args.tokens, tokenDir.file("rs256.txt")),
		mintFile(ed, keys.issuer, args.tokens, tokenDir.file("eddsa.txt")),
		...started.map(gateway => gateway.ready())
	]);
	const m: Measurer = { args, loadgen, gateways: new Map(started.map(gateway => [gateway.kind, gateway])) };
	const fixedToken = oneToken(rsa, keys.issuer);
	const count = args.tokens.toLocaleString("en-US");
	const scenarios: Scenario[] = [
		{ id: "A", title: "one RS256 token", gateways: ALL, tokens: () => ({ kind: "fixed", token: fixedToken }) },
		{ id: "B", title: `${count} RS256 tokens`, gateways: ALL, tokens: kind => ({ kind: "file", file: rsaFile as string, cursor: `B:${kind}` }) },
		{ id: "B-EdDSA", title: `${count} Ed25519 tokens`, gateways: ["none", "ours"], tokens: kind => ({ kind: "file", file: edFile as string, cursor: `E:${kind}` }) }
	];
	progress(`gateways ready: ${started.map(g => `${g.kind} ${g.url}`).join(", ")}; ${count} tokens per algorithm minted`);

	const rows: Row[] = [];
	const [scenarioA, ...others] = scenarios as [Scenario, ...Scenario[]];
	rows.push(...(await runScenario(m, scenarioA)));
	const saturated = (kind: GatewayKind): number => summarise(rows).find(s => s.scenario === "A" && s.gateway === kind)?.rps ?? 0;
	// Half of saturation, and low enough that the generator, sharing the machine, never queues.
	const rate = args.rate ?? Math.max(10, Math.round(Math.min(saturated("none") * 0.5, saturated("ours") * 0.5, MAX_FIXED_RATE)));
	// Right after A, in A's state: the gateways have not yet churned through B's 50,000 tokens.
	const latency = await fixedRate(m, fixedToken, rate);
	for (const scenario of others) rows.push(...(await runScenario(m, scenario)));
	const summaries = summarise(rows);
	for (const gateway of started) gateway.stop();

	const info = machine();
	const reuse = rows
		.filter(row => row.scenario !== "A")
		.map(row => `${row.scenario}/${row.gateway} ${(row.tokensSent / args.tokens).toFixed(1)}`)
		.join(", ");
	const report = [
		"",
		`Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.os}`,
		`Node ${info.node}; ${args.rounds} round(s) x ${args.duration} s per measurement, ${args.warmup} s warm-up, ${args.connections} connections, pipelining 1${args.smoke ? " (smoke)" : ""}`,
		`Load generator: ${saturatingGenerator() === "wrk" ? "wrk, 1 thread" : "autocannon"} (fixed rate: our open-loop client); ours checks signatures on JWT_VERIFY_THREADS=${process.env.JWT_VERIFY_THREADS ?? defaultThreadCount()} worker thread(s)`,
		"",
		markdown(summaries, scenarios),
		"",
		fixedRateLine(latency),
		"req/s, p50 and p99: medians of the rounds; RSS: largest after a round. CPU: share of one core used during the rounds by the gateway,",
		`the load generator, and all other processes (a round is taken again, up to ${ATTEMPTS} times, when others use more than a quarter of a core).`,
		`Passes over the token set (warm-up included; above 1, tokens repeated): ${reuse}`,
		""
	].join("\n");
	process.stdout.write(report);
	const file = writeResult("latest.json", { date: new Date().toISOString(), machine: info, args, summaries, fixedRate: latency, rows });
	process.stdout.write(`Written to ${file}\n`);

	// Every request carried a valid token: anything but 2xx means the numbers measure something else.
	const broken = [...rows.flatMap(row => failures(row.rounds)), ...failures([...latency.none.rounds, ...latency.ours.rounds])];
	for (const load of broken) process.stderr.write(`FAILED: a measurement got ${load.non2xx} non-2xx answers and ${load.errors} errors (${load.requests} answers)\n`);
	return broken.length === 0 ? 0 : 1;
}

/** Seconds the run may take before the watchdog ends it. */
function budget(args: BenchArgs): number {
	if (args.flood) return 180 + (args.floodCount * 2 * 2) / 1000;
	const measurements = (8 + 2) * args.rounds * (args.duration + 2) * ATTEMPTS;
	return 120 + (args.tokens / 1000) * 2 + 8 * (args.warmup + 2) + measurements;
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
		return args.flood ? await runFlood(bench) : await runBench(bench);
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
