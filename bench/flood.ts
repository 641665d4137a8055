/**
 * `npm run bench -- --flood`: our gateway alone, flooded as fast as 64 connections go with
 * distinct well-formed tokens that must fail (a real kid with a wrong signature, then kids the
 * issuer never published), while a second load generator sends valid tokens at a low fixed rate.
 * Reports the gateway's RSS after warm-up and after each flood, and whether valid tokens kept
 * getting 200.
 */
import { ChildGateway, LoadGenerator, type JobSpec } from "./children";
import type { LoadResult, TokenSource } from "./protocol";
import { progress } from "./measure";
import { fixed, int, machine, MiB, writeResult } from "./report";
import type { Bench } from "./run";
import { badSignatureTokens, mintFile, unknownKidTokens } from "./tokens";

/**
 * Memory after a full GC needs a gateway that can be asked for one: our api service on a bare
 * broker in a child of the bench, labelled as such, not the shipped process.
 */
const FLOOD_GATEWAY = { id: "bare", label: "ours, api service on a bare broker (GC on request)", child: "bare" } as const;
const VALID_RATE = 100;
const VALID_CONNECTIONS = 4;
const GROWTH_TARGET_MIB = 64;

interface FloodPhase {
	readonly name: string;
	readonly flood: LoadResult;
	readonly valid: LoadResult;
	/** After a full GC: what the flood left behind. */
	readonly rssAfter: number;
	readonly heapAfter: number;
	/** Sampled every 500 ms during the flood, garbage included. */
	readonly peakRss: number;
	readonly jwksFetches: number;
}

function statuses(load: LoadResult): string {
	return Object.entries(load.statusCodes)
		.map(([status, count]) => `${status}: ${count.toLocaleString("en-US")}`)
		.join(", ");
}

async function floodPhase(bench: Bench, gateway: ChildGateway, valid: LoadGenerator, name: string, tokens: TokenSource, validFile: string): Promise<FloodPhase> {
	const { args, keys, loadgen } = bench;
	const url = `${gateway.url}/api/protected`;
	const fetchesBefore = keys.jwksFetches;
	const longest = 3600;
	const validSpec: JobSpec = { type: "paced", url, connections: VALID_CONNECTIONS, rate: VALID_RATE, duration: longest, tokens: { kind: "file", file: validFile, cursor: "valid" } };
	const validRun = valid.run(validSpec, (longest + 60) * 1000);
	let peakRss = 0;
	const sampler = setInterval(() => {
		gateway.usage().then(
			usage => (peakRss = Math.max(peakRss, usage.rss)),
			() => undefined
		);
	}, 500);
	try {
		const floodSpec: JobSpec = { type: "saturate", url, connections: args.connections, duration: longest, amount: args.floodCount, tokens };
		const flood = await loadgen.run(floodSpec, (longest + 60) * 1000);
		valid.stopJobs();
		const validResult = await validRun;
		peakRss = Math.max(peakRss, (await gateway.usage()).rss);
		const usage = await gateway.usage(true);
		progress(`flood ${name}: ${int(flood.requests)} in ${fixed(flood.duration, 1)} s (${int(flood.rps)}/s), RSS ${fixed(usage.rss / MiB, 1)} MiB after GC; valid: ${validResult.requests} answered, ${validResult.non2xx} non-2xx`);
		return { name, flood, valid: validResult, rssAfter: usage.rss, heapAfter: usage.heapUsed, peakRss, jwksFetches: keys.jwksFetches - fetchesBefore };
	} finally {
		clearInterval(sampler);
	}
}

export async function runFlood(bench: Bench): Promise<number> {
	const { args, keys, loadgen, tokenDir } = bench;
	const rsa = keys.keys[0] as (typeof keys.keys)[number];
	const [gateway, validFile] = await Promise.all([
		new ChildGateway(FLOOD_GATEWAY, { BENCH_ISSUER: keys.issuer, BENCH_JWKS_URI: keys.jwksUri }).ready(),
		mintFile(rsa, keys.issuer, args.tokens, tokenDir.file("valid.txt"))
	]);
	const valid = new LoadGenerator();
	const url = `${gateway.url}/api/protected`;
	const badSignature = badSignatureTokens(rsa, keys.issuer);
	const unknownKid = unknownKidTokens(keys.issuer);
	try {
		// Warm-up: valid tokens, then a tenth of a flood of each kind of bad one (at most 100,000),
		// so every path is compiled and the V8 heap and the allocator's arenas have grown to what
		// this traffic needs: the growth measured after is what the floods leave, not the sizing.
		// (With 5,000 of each, the warmed-up RSS varied from 209 to 280 MiB between runs, and the
		// after-flood RSS stayed at 280-310 MiB whatever the flood's size.)
		const warmValid: JobSpec = { type: "saturate", url, connections: args.connections, duration: Math.max(2, args.warmup), tokens: { kind: "file", file: validFile, cursor: "warm" } };
		await loadgen.run(warmValid, 60_000);
		const few = Math.min(100_000, Math.ceil(args.floodCount / 10));
		for (const tokens of [badSignature, unknownKid]) {
			await loadgen.run({ type: "saturate", url, connections: args.connections, duration: 3600, amount: few, tokens }, 120_000);
		}
		const warmUsage = await gateway.usage(true);
		const warm = warmUsage.rss;
		progress(`flood: warm-up done, RSS ${fixed(warm / MiB, 1)} MiB; ${int(args.floodCount)} tokens per flood`);

		const phases = [
			await floodPhase(bench, gateway, valid, "bad signature, real kid", badSignature, validFile),
			await floodPhase(bench, gateway, valid, "unknown kids", unknownKid, validFile)
		];
		const info = machine();
		const lines = [
			"",
			`Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.os}; Node ${info.node}`,
			`Flood of our gateway, ${args.connections} connections, ${int(args.floodCount)} distinct tokens per flood; valid tokens at ${VALID_RATE} req/s alongside`,
			`After warm-up and a full GC: RSS ${fixed(warm / MiB, 1)} MiB, heap ${fixed(warmUsage.heapUsed / MiB, 1)} MiB`,
			"",
			"| flood | req/s | answers | RSS after GC MiB | growth vs warm-up MiB | heap after GC MiB | peak RSS MiB | JWKS fetches | valid: answered | valid: non-2xx / errors | valid p99 ms |",
			"|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
		];
		for (const phase of phases) {
			lines.push(
				`| ${phase.name} | ${int(phase.flood.rps)} | ${statuses(phase.flood)} | ${fixed(phase.rssAfter / MiB, 1)} | ${fixed((phase.rssAfter - warm) / MiB, 1)} | ${fixed(phase.heapAfter / MiB, 1)} | ${fixed(phase.peakRss / MiB, 1)} | ${phase.jwksFetches} | ${int(phase.valid.requests)} | ${phase.valid.non2xx} / ${phase.valid.errors} | ${fixed(phase.valid.p99)} |`
			);
		}
		const growth = Math.max(...phases.map(phase => phase.rssAfter)) - warm;
		const validFailures = phases.reduce((sum, phase) => sum + phase.valid.non2xx + phase.valid.errors, 0);
		const accepted = phases.reduce((sum, phase) => sum + Object.entries(phase.flood.statusCodes).reduce((n, [status, count]) => n + (status.startsWith("2") ? count : 0), 0), 0);
		lines.push(
			"",
			`RSS growth after the floods (after GC): ${fixed(growth / MiB, 1)} MiB (target < ${GROWTH_TARGET_MIB} MiB): ${growth / MiB < GROWTH_TARGET_MIB ? "met" : "MISSED"}; peak during the floods ${fixed((Math.max(...phases.map(phase => phase.peakRss)) - warm) / MiB, 1)} MiB above warm-up`,
			`Valid tokens during the floods: ${validFailures === 0 ? "every one got 2xx" : `${validFailures} did NOT get 2xx`}`,
			`Flood tokens accepted: ${accepted}${accepted > 0 ? " (a forged token got through!)" : ""}`,
			""
		);
		process.stdout.write(lines.join("\n"));
		const file = writeResult("flood.json", { date: new Date().toISOString(), machine: info, args, rssAfterWarmup: warm, heapAfterWarmup: warmUsage.heapUsed, growthMiB: growth / MiB, phases });
		process.stdout.write(`Written to ${file}\n`);
		return validFailures === 0 && accepted === 0 ? 0 : 1;
	} finally {
		valid.close();
		gateway.stop();
	}
}
