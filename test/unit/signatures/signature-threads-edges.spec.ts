/**
 * Signature threads at their edges, on real worker threads: what a message to a thread holds,
 * when a thread keeps the process alive, and what happens to checks when a thread fails,
 * a key cannot be sent, the fallback fails, or the threads stop.
 */
import { createPublicKey, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";
import { once } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import workerThreads from "node:worker_threads";
import type { Worker } from "node:worker_threads";
import { checkOnThreadPool } from "../../../lib/auth/signatures/signature";
import { BATCH_SIZE, SignatureThreads, THREAD_NAME, type SignatureJob } from "../../../lib/auth/signatures/signature-threads";
import type { SignatureBatch } from "../../../lib/auth/signatures/signature-worker.mjs";
import { parseToken, type ParsedToken } from "../../../lib/auth/jws/token";
import { generateSigningKey, signJwt } from "../../../lib/dev-issuer/signer";

const signing = generateSigningKey("RS256", "edges");
const publicKey: KeyObject = createPublicKey(signing.privateKey);

/** A check of a valid RS256 or RS384 token of the one key, or of a forged one. */
function job(alg: "RS256" | "RS384" = "RS256", valid = true, key: KeyObject | VerifyKeyObjectInput = publicKey): SignatureJob {
	const parsed = parseToken(signJwt({ ...signing, alg }, { iss: "https://issuer.example" })) as ParsedToken;
	const signature = valid ? parsed.signature : `${parsed.signature.slice(0, -2)}AA`;
	return { digest: alg === "RS256" ? "sha256" : "sha384", key, data: parsed.signingInput, signature };
}

/** The fallback, counting its calls. */
function counted(fallback: (job: SignatureJob) => Promise<boolean> = checkOnThreadPool) {
	const counter = { calls: 0, fallback: (j: SignatureJob) => ((counter.calls += 1), fallback(j)) };
	return counter;
}

const running: SignatureThreads[] = [];
function threadsOf(...args: ConstructorParameters<typeof SignatureThreads>): SignatureThreads {
	const threads = new SignatureThreads(...args);
	running.push(threads);
	return threads;
}
afterEach(async () => {
	for (const threads of running.splice(0)) await threads.stop();
});

const nextTurn = () => new Promise(resolve => setImmediate(resolve));

// A full collection on demand: whether a thread still holds an answered check is a question of reachability.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

describe("signature threads, at their edges", () => {
	it("name their threads, and say how many they were given when it is none", async () => {
		const threads = threadsOf(2, checkOnThreadPool);
		threads.start();
		expect(threads.workers.map(worker => worker.threadName)).toEqual([THREAD_NAME, THREAD_NAME]);
		expect(() => new SignatureThreads(0, checkOnThreadPool)).toThrow("SignatureThreads needs at least one thread, got 0");
	});

	it("hand a check to the fallback at once before they start, not at the end of the turn", async () => {
		const counter = counted();
		const answer = threadsOf(1, counter.fallback).check(job());
		expect(counter.calls).toBe(1);
		expect(await answer).toBe(true);
	});

	it("send a batch's keys once each, its checks pointing into them", async () => {
		const threads = threadsOf(1, checkOnThreadPool);
		threads.start();
		const worker = threads.workers[0] as Worker;
		const sent = jest.spyOn(worker, "postMessage");
		// The first check makes the thread busy; the next three leave together at the turn's end.
		const checks = [job(), job("RS256"), job("RS384"), job("RS256", false)].map(j => threads.check(j));
		expect(await Promise.all(checks)).toEqual([true, true, true, false]);
		const batch = sent.mock.calls[1]?.[0] as SignatureBatch;
		expect(batch.keys).toEqual([
			{ digest: "sha256", key: publicKey },
			{ digest: "sha384", key: publicKey }
		]);
		expect(batch.key).toEqual([0, 1, 0]);
	});

	it("find nothing left to send at the turn's end when the turn's checks filled a batch", async () => {
		const batches: number[] = [];
		const threads = threadsOf(1, checkOnThreadPool, { batchSent: checks => batches.push(checks) });
		threads.start();
		const checks = Array.from({ length: 1 + BATCH_SIZE }, (_, i) => threads.check(job("RS256", i % 2 === 0)));
		await nextTurn();
		expect(await Promise.all(checks)).toEqual(checks.map((_, i) => i % 2 === 0));
		expect(batches).toEqual([1, BATCH_SIZE]);
	});

	it("keep the process alive only while a thread has checks to answer", async () => {
		const ports = () => process.getActiveResourcesInfo().filter(resource => resource === "MessagePort").length;
		const idle = ports();
		const threads = threadsOf(1, checkOnThreadPool);
		threads.start();
		const worker = threads.workers[0] as Worker;
		await once(worker, "online");
		// Started and not used yet (a gateway with no token to verify yet).
		expect(ports()).toBe(idle);
		// Two messages in flight: after the first is answered, the thread still has checks to answer.
		const whileAnswering: number[] = [];
		worker.on("message", () => whileAnswering.push(ports()));
		const first = threads.check(job());
		expect(ports()).toBe(idle + 1);
		const rest = Array.from({ length: BATCH_SIZE }, () => threads.check(job()));
		await Promise.all([first, ...rest]);
		expect(whileAnswering).toEqual([idle + 1, idle]);
		expect(ports()).toBe(idle);
	});

	it("answer every check on the fallback when a key cannot be sent to a thread, and false when the fallback fails", async () => {
		// A function cannot be copied to another thread; node:crypto ignores it.
		const uncopyable: VerifyKeyObjectInput = Object.assign({ key: publicKey }, { describe: () => "not copyable" });
		const counter = counted();
		const threads = threadsOf(1, counter.fallback);
		threads.start();
		expect(await Promise.all([threads.check(job("RS256", true, uncopyable)), threads.check(job("RS256", false, uncopyable))])).toEqual([true, false]);
		expect(counter.calls).toBe(2);
		const failing = threadsOf(1, () => Promise.reject(new Error("the thread pool is gone")));
		failing.start();
		expect(await failing.check(job("RS256", true, uncopyable))).toBe(false);
	});

	it("report why a thread died, and replace it only after the interval even when started again", async () => {
		const failures: string[] = [];
		const threads = threadsOf(1, checkOnThreadPool, { threadFailed: detail => failures.push(detail) });
		threads.start();
		const worker = threads.workers[0] as Worker;
		await once(worker, "online");
		// A message that is no batch makes the thread throw.
		const exited = new Promise(resolve => worker.on("exit", resolve));
		worker.postMessage({ id: 1 });
		await exited;
		// The thread's own error is the detail (it comes from another realm than this spec's Error).
		expect(failures).toHaveLength(1);
		expect(failures[0]).not.toMatch(/^exit code/);
		expect(failures[0]?.length).toBeGreaterThan(0);
		threads.start();
		expect(threads.workers).toHaveLength(0);
		await threads.workers[0]?.terminate();
		const replaced = threadsOf(1, checkOnThreadPool, { threadFailed: detail => failures.push(detail) });
		replaced.start();
		await replaced.workers[0]?.terminate();
		expect(failures[1]).toMatch(/^exit code \d+$/);
	});

	it("replace a dead thread once the restart interval has passed, to the millisecond", async () => {
		const counter = counted();
		const threads = threadsOf(1, counter.fallback);
		threads.start();
		await once(threads.workers[0] as Worker, "online");
		// The module reads Date.now for the interval; frozen here so the boundary is exact.
		const at = Date.now();
		const clock = jest.spyOn(Date, "now").mockReturnValue(at);
		try {
			await threads.workers[0]?.terminate();
			clock.mockReturnValue(at + 999);
			expect(await threads.check(job())).toBe(true);
			expect([threads.workers.length, counter.calls]).toEqual([0, 1]);
			clock.mockReturnValue(at + 1000);
			expect(await threads.check(job())).toBe(true);
			expect([threads.workers.length, counter.calls]).toEqual([1, 1]);
		} finally {
			clock.mockRestore();
		}
	});

	it("answer the checks of a thread that dies, with no listener for it, each counted once where it was answered", async () => {
		const counter = counted();
		let answeredByThread = 0;
		const threads = threadsOf(1, counter.fallback, { checkedOnThread: checks => (answeredByThread += checks) });
		threads.start();
		const checks = [job(), job("RS256", false)].map(j => threads.check(j));
		await threads.workers[0]?.terminate();
		expect(await Promise.all(checks)).toEqual([true, false]);
		expect(counter.calls).toBeGreaterThan(0);
		expect(answeredByThread + counter.calls).toBe(checks.length);
	});

	it("count a stop as no failure, and give the fallback nothing they had answered", async () => {
		const failures: string[] = [];
		const counter = counted();
		const threads = threadsOf(1, counter.fallback, { threadFailed: detail => failures.push(detail) });
		threads.start();
		expect(await Promise.all(Array.from({ length: 1 + BATCH_SIZE + 3 }, () => threads.check(job())))).toEqual(Array.from({ length: 12 }, () => true));
		await threads.stop();
		await nextTurn();
		expect(failures).toEqual([]);
		expect(counter.calls).toBe(0);
	});

	it("let go of a check once it is answered: a thread keeps no batch it has answered", async () => {
		const threads = threadsOf(1, checkOnThreadPool);
		threads.start();
		const answered = await (async () => {
			const checks = [job(), job("RS384"), job("RS256", false)];
			const refs = checks.map(check => new WeakRef(check));
			expect(await Promise.all(checks.map(check => threads.check(check)))).toEqual([true, true, false]);
			return refs;
		})();
		// A WeakRef's target lives to the end of the turn that made it.
		await nextTurn();
		collectGarbage();
		expect(answered.map(ref => ref.deref())).toEqual([undefined, undefined, undefined]);
	});

	it("count a thread the system refuses to create as failed, answer on the fallback, and try again after the interval", async () => {
		// No test can make the system refuse a thread (a resource limit): its one refusal is injected here.
		const refused = jest.spyOn(workerThreads, "Worker").mockImplementation(() => {
			throw new Error("EAGAIN: no more threads");
		});
		const failures: string[] = [];
		const counter = counted();
		const threads = threadsOf(1, counter.fallback, { threadFailed: detail => failures.push(detail) });
		try {
			threads.start();
			expect(failures).toEqual(["EAGAIN: no more threads"]);
			expect(threads.workers).toHaveLength(0);
			expect(await threads.check(job())).toBe(true);
			expect(counter.calls).toBe(1);
			// The check did not try to create a thread again: the interval has not passed.
			expect(failures).toHaveLength(1);
		} finally {
			refused.mockRestore();
		}
		// Within the restart interval nothing is tried again; start() after a stop clears it.
		await threads.stop();
		threads.start();
		expect(threads.workers).toHaveLength(1);
	});
});
