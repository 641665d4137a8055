/**
 * Saturating jobs through wrk, where it is installed: a C load generator spends a fraction of
 * autocannon's CPU per request, so on a small machine more of the cores go to the gateway under
 * test (the reference figures were taken with wrk). One wrk thread, 64 connections;
 * the tokens come from bench/wrk.lua, configured through the environment.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import type { LoadResult, SaturateJob } from "./protocol";

const SCRIPT = join(__dirname, "wrk.lua");
/** Linux's USER_HZ: the unit of the CPU time wrk.lua reads from /proc/self/stat. */
const TICKS_PER_SECOND = 100;

let chosen: "wrk" | "autocannon" | undefined;

function wrkInstalled(): boolean {
	return process.platform === "linux" && spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
}

/**
 * The generator of saturating jobs: BENCH_LOADGEN=wrk or =autocannon, otherwise wrk where it
 * is installed. The fixed-rate jobs and the floods always use our Node client and autocannon.
 */
export function saturatingGenerator(): "wrk" | "autocannon" {
	if (chosen === undefined) {
		const wanted = process.env.BENCH_LOADGEN;
		if (wanted !== undefined && wanted !== "" && wanted !== "wrk" && wanted !== "autocannon") throw new Error(`BENCH_LOADGEN must be wrk or autocannon, got ${wanted}`);
		if (wanted === "wrk" && !wrkInstalled()) throw new Error("BENCH_LOADGEN=wrk, but wrk is not installed (apt-get install wrk)");
		chosen = wanted === "autocannon" || (wanted !== "wrk" && !wrkInstalled()) ? "autocannon" : "wrk";
	}
	return chosen;
}

/** Jobs wrk can run: a fixed token or a token file, for a whole number of seconds. */
export function wrkCanRun(job: SaturateJob): boolean {
	return saturatingGenerator() === "wrk" && job.amount === undefined && (job.tokens.kind === "fixed" || job.tokens.kind === "file");
}

interface WrkSummary {
	readonly requests: number;
	readonly durationMicros: number;
	readonly connect: number;
	readonly read: number;
	readonly write: number;
	readonly status: number;
	readonly timeout: number;
	readonly p50Micros: number;
	readonly p99Micros: number;
	readonly maxMicros: number;
	readonly cpuTicks: number;
}

function toResult(s: WrkSummary): LoadResult {
	const seconds = s.durationMicros / 1e6;
	// wrk counts a "status error" for every response from 400 up; read errors include resets.
	const ok = s.requests - s.status;
	return {
		requests: s.requests,
		duration: seconds,
		rps: seconds > 0 ? s.requests / seconds : 0,
		p50: s.p50Micros / 1000,
		p99: s.p99Micros / 1000,
		max: s.maxMicros / 1000,
		non2xx: s.status,
		errors: s.connect + s.read + s.write + s.timeout,
		statusCodes: { "2xx/3xx": ok, "4xx/5xx": s.status },
		cpu: seconds > 0 && s.cpuTicks >= 0 ? s.cpuTicks / TICKS_PER_SECOND / seconds : 0
	};
}

/** Runs one job; `start` is the first line of the token file to send. Resolves with wrk's result. */
export function runWrk(job: SaturateJob, start: number, onStop: (stop: () => void) => void): Promise<LoadResult> {
	const url = new URL(job.url);
	const tokens = job.tokens.kind === "fixed" ? { BENCH_TOKEN: job.tokens.token } : job.tokens.kind === "file" ? { BENCH_TOKEN_FILE: job.tokens.file, BENCH_TOKEN_START: String(start) } : {};
	const seconds = Math.max(1, Math.round(job.duration));
	const child = spawn("wrk", ["-t1", `-c${job.connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", SCRIPT, `${url.origin}`], {
		env: { ...process.env, BENCH_PATH: url.pathname, ...tokens },
		stdio: ["ignore", "pipe", "pipe"]
	});
	// wrk prints its summary when interrupted, so a stop still yields what it measured.
	onStop(() => child.kill("SIGINT"));
	let out = "";
	let err = "";
	child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
	child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
	return new Promise((resolve, reject) => {
		child.on("error", reject);
		child.on("close", code => {
			const line = out.split("\n").find(l => l.startsWith("BENCH_RESULT "));
			if (line === undefined) reject(new Error(`wrk exited (${code}) without a result: ${(err || out).trim().slice(0, 500)}`));
			else resolve(toResult(JSON.parse(line.slice("BENCH_RESULT ".length)) as WrkSummary));
		});
	});
}
