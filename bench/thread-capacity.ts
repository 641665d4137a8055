/**
 * What the machine's signature threads can do, without HTTP: in its own process (child of
 * bench/run.ts), the built SignatureThreads of dist/ with the gateway's default thread count
 * (or JWT_VERIFY_THREADS) check the Ed25519 tokens of scenario B-EdDSA as fast as they can,
 * with enough checks queued that the threads never wait, twice: first with every other core
 * kept busy by a spinning thread, then on the otherwise idle machine. Answers `{ perSecond,
 * busyPerSecond, threads, spinners }` over IPC. The EdDSA scenario is judged against the idle
 * machine's figure; the busy one shows how much this host slows a core while the others work
 * (a bare node:crypto Ed25519 loop on these 2-core VMs: 14,100/s alone, 9,100/s beside a
 * spinning thread). It bounds nothing: a spinner keeps its core busier than the event loop and
 * the load generator keep theirs in B-EdDSA, and ours has read 1.5 times it.
 *
 * `tsx bench/thread-capacity.ts <token file> <public JWK as JSON> <seconds>`
 */
import { createPublicKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type * as SignatureModule from "../lib/auth/signatures/signature";
import type * as ThreadsModule from "../lib/auth/signatures/signature-threads";

/** Checks kept queued: a few batches per thread, so a thread never waits for the event loop. */
const IN_FLIGHT = 256;

function built<T>(module: string): T {
	const file = join(__dirname, "..", "dist", "lib", "auth", "signatures", `${module}.js`);
	if (!existsSync(file)) throw new Error("dist/ is missing: run `npm run build` first (npm run bench does)");
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build's JavaScript, typed by its sources
	return require(file) as T;
}

async function main(): Promise<void> {
	const [tokenFile, jwkJson, secondsText] = process.argv.slice(2) as [string, string, string];
	const seconds = Number(secondsText);
	const { SignatureThreads, defaultThreadCount } = built<typeof ThreadsModule>("signature-threads");
	const { checkOnThreadPool } = built<typeof SignatureModule>("signature");
	const key = createPublicKey({ key: JSON.parse(jwkJson) as import("node:crypto").JsonWebKey, format: "jwk" });
	const jobs = readFileSync(tokenFile, "utf8")
		.split("\n")
		.filter(line => line !== "")
		.map(token => {
			const dot = token.lastIndexOf(".");
			return { digest: null, key, data: token.slice(0, dot), signature: token.slice(dot + 1) };
		});
	const envThreads = process.env.JWT_VERIFY_THREADS;
	const count = envThreads !== undefined && Number(envThreads) > 0 ? Number(envThreads) : defaultThreadCount();
	const threads = new SignatureThreads(count, checkOnThreadPool);
	threads.start();

	let next = 0;
	let answered = 0;
	let invalid = 0;
	let stopped = false;
	const submit = (): void => {
		if (stopped) return;
		const job = jobs[next++ % jobs.length] as (typeof jobs)[number];
		void threads.check(job).then(valid => {
			answered += 1;
			if (!valid) invalid += 1;
			submit();
		});
	};
	for (let i = 0; i < IN_FLIGHT; i++) submit();
	/** Checks per second over `seconds`, after a second of warm-up (threads started, code optimised). */
	const rate = async (): Promise<number> => {
		await sleep(1000);
		const [before, started] = [answered, performance.now()];
		await sleep(seconds * 1000);
		return (answered - before) / ((performance.now() - started) / 1000);
	};
	const spinners = Array.from({ length: Math.max(0, availableParallelism() - count) }, () => new Worker("for (;;) {}", { eval: true }));
	const busyPerSecond = await rate();
	await Promise.all(spinners.map(spinner => spinner.terminate()));
	const perSecond = await rate();
	stopped = true;
	await threads.stop();
	process.send?.({ type: "capacity", perSecond, busyPerSecond, spinners: spinners.length, threads: count, invalid });
}

function sleep(ms: number): Promise<void> {
	return new Promise(resolve => setTimeout(resolve, ms));
}

main().then(
	() => process.exit(0),
	(err: unknown) => {
		process.stderr.write(`thread capacity failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
		process.exit(1);
	}
);
