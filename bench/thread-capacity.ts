/**
 * What the machine's signature threads can do, without HTTP: in its own process (child of
 * bench/run.ts), the built SignatureThreads of dist/ with the gateway's default thread count
 * (or JWT_VERIFY_THREADS), the threads alone (no `onLoop`: this process's event loop checks
 * nothing, where the gateway's helps while its threads are behind), check the Ed25519 tokens of scenario B-EdDSA as fast as they can,
 * with enough checks queued that the threads never wait, whenever the parent asks (`{ type:
 * "measure", seconds, busy, warmup }`, answered with `{ type: "rate", perSecond, ... }`): after
 * each slice of a B-EdDSA round, on the machine the gateways have just left idle, so each round
 * of ours is judged against the capacity the machine had during that round (this host's speed
 * moves by a third from one minute to the next); once more at the end with every other core
 * kept busy by a spinning thread (`busy`), which shows how much this host slows a core while
 * the others work (a bare node:crypto Ed25519 loop on these 2-core VMs: 14,100/s alone,
 * 9,100/s beside a spinning thread). It bounds nothing: a spinner keeps its core busier than the event loop and
 * the load generator keep theirs in B-EdDSA, and ours has read 1.5 times it.
 *
 * `tsx bench/thread-capacity.ts <token file> <public JWK as JSON>`, then IPC; `{ type: "stop" }` ends it.
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

interface MeasureRequest {
	readonly type: "measure";
	readonly seconds: number;
	/** Keep every other core busy with a spinning thread while measuring. */
	readonly busy: boolean;
	/** Seconds of checks before counting starts. */
	readonly warmup: number;
}

async function main(): Promise<void> {
	const [tokenFile, jwkJson] = process.argv.slice(2) as [string, string];
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
	/** Threads that keep every other core busy in a `busy` measurement. */
	const spinnerCount = Math.max(0, availableParallelism() - count);
	threads.start();

	let next = 0;
	let answered = 0;
	let invalid = 0;
	let pumping = false;
	let inFlight = 0;
	const submit = (): void => {
		if (!pumping) return;
		const job = jobs[next++ % jobs.length] as (typeof jobs)[number];
		inFlight += 1;
		void threads.check(job).then(valid => {
			inFlight -= 1;
			answered += 1;
			if (!valid) invalid += 1;
			submit();
		});
	};
	/** Checks per second over `seconds`, after `warmup` seconds; the threads are idle before and after. */
	const rate = async (seconds: number, busy: boolean, warmup: number): Promise<number> => {
		const spinners = busy ? Array.from({ length: spinnerCount }, () => new Worker("for (;;) {}", { eval: true })) : [];
		pumping = true;
		for (let i = 0; i < IN_FLIGHT; i++) submit();
		await sleep(warmup * 1000);
		const [before, started] = [answered, performance.now()];
		await sleep(seconds * 1000);
		const perSecond = (answered - before) / ((performance.now() - started) / 1000);
		pumping = false;
		await Promise.all(spinners.map(spinner => spinner.terminate()));
		while (inFlight > 0) await sleep(5);
		return perSecond;
	};
	process.on("message", (message: MeasureRequest | { type: "stop" }) => {
		if (message.type === "stop") {
			void threads.stop().then(() => process.exit(invalid === 0 ? 0 : 1));
			return;
		}
		void rate(message.seconds, message.busy, message.warmup).then(perSecond => process.send?.({ type: "rate", perSecond, threads: count, spinners: message.busy ? spinnerCount : 0, invalid }));
	});
	// The bench went away without a word: nothing is left to measure for.
	process.on("disconnect", () => process.exit(0));
	process.send?.({ type: "ready" });
}

function sleep(ms: number): Promise<void> {
	return new Promise(resolve => setTimeout(resolve, ms));
}

main().catch(
	(err: unknown) => {
		process.stderr.write(`thread capacity failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
		process.exit(1);
	}
);
