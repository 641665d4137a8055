/**
 * Signature threads: real worker threads running lib/auth/signatures/signature-worker.mts. What a batch
 * carries, that every check gets its own right answer whatever happens to a thread, and that
 * the threads never keep a process alive.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { join } from "node:path";
import type { JwsAlgorithm } from "../../../lib/auth/jws/algorithms";
import type { VerificationKey } from "../../../lib/auth/keys/key-set";
import { checkOnThreadPool, SignatureChecks } from "../../../lib/auth/signatures/signature";
import { BATCH_SIZE, defaultThreadCount, SignatureThreads, type SignatureJob, type SignatureThreadEvents } from "../../../lib/auth/signatures/signature-threads";
import { parseToken, type ParsedToken } from "../../../lib/auth/jws/token";
import { generateSigningKey, mintToken, signJwt, type SigningAlgorithm } from "../../../lib/dev-issuer/signer";
import { run } from "../../support/process";

interface Case {
	readonly alg: JwsAlgorithm;
	readonly key: VerificationKey;
	readonly valid: ParsedToken;
	readonly forged: ParsedToken;
}

function signedCase(alg: SigningAlgorithm): Case {
	const signing = generateSigningKey(alg, `k-${alg}`);
	const key: VerificationKey = { kid: signing.kid, key: createPublicKey(signing.privateKey) as KeyObject, algorithms: new Set([alg as JwsAlgorithm]) };
	const valid = parseToken(mintToken(signing, { issuer: "https://issuer.example" })) as ParsedToken;
	const bytes = Buffer.from(valid.signature, "base64url");
	bytes[0] = (bytes[0] as number) ^ 1;
	return { alg: alg as JwsAlgorithm, key, valid, forged: { ...valid, signature: bytes.toString("base64url") } };
}

/** The signature step over `threads`, one per set of threads, as an Authenticator has it. */
const stepOf = new WeakMap<SignatureThreads, SignatureChecks>();
function signatureIsValid(parsed: ParsedToken, alg: JwsAlgorithm, key: VerificationKey, threads: SignatureThreads): Promise<boolean> {
	let step = stepOf.get(threads);
	if (step === undefined) stepOf.set(threads, (step = new SignatureChecks(threads)));
	return step.isValid(parsed, alg, key);
}

const CASES = (["RS256", "PS256", "ES256", "EdDSA"] as const).map(signedCase);

/** 15 checks per case, every third forged, in one turn of the event loop: the checks and the answers due. */
function mixedChecks(threads: SignatureThreads): { answers: Promise<boolean[]>; expected: boolean[] } {
	const checks = CASES.flatMap(c => Array.from({ length: 15 }, (_, i) => ({ c, good: i % 3 !== 0 })));
	return {
		answers: Promise.all(checks.map(({ c, good }) => signatureIsValid(good ? c.valid : c.forged, c.alg, c.key, threads))),
		expected: checks.map(check => check.good)
	};
}

/** Messages for `checks` checks made in one turn while the threads are busy: full ones at once, the rest at the turn's end. */
function batchesFor(checks: number): { atOnce: number; total: number } {
	return { atOnce: Math.floor(checks / BATCH_SIZE), total: Math.ceil(checks / BATCH_SIZE) };
}

/** The fallback, counting what it is given. */
function countingFallback(): { calls: number; fallback: (job: SignatureJob) => Promise<boolean> } {
	const counter = {
		calls: 0,
		fallback: (job: SignatureJob) => {
			counter.calls += 1;
			return checkOnThreadPool(job);
		}
	};
	return counter;
}

/** Messages and checks the threads were sent, as their events tell. */
function sendCounter() {
	const sent = { batches: 0, checks: 0 };
	const events: SignatureThreadEvents = {
		batchSent: checks => {
			sent.batches += 1;
			sent.checks += checks;
		}
	};
	return { sent, events };
}

describe("signature threads", () => {
	it("default to every core but one, at least one", () => {
		expect([1, 2, 4, 16].map(cores => defaultThreadCount(cores))).toEqual([1, 1, 3, 15]);
		expect(() => new SignatureThreads(0, checkOnThreadPool)).toThrow(RangeError);
	});

	it("send a check to an idle thread at once, then the turn's checks in messages of BATCH_SIZE and its rest at its end, and answer each right, for every kind of key", async () => {
		const counter = countingFallback();
		const sending = sendCounter();
		const threads = new SignatureThreads(1, counter.fallback, sending.events);
		threads.start();
		try {
			const { answers, expected } = mixedChecks(threads);
			// The first went at once, then every full batch; the rest waits for the end of this turn.
			const rest = batchesFor(expected.length - 1);
			expect(rest).toEqual({ atOnce: 7, total: 8 });
			expect(sending.sent).toEqual({ batches: 1 + rest.atOnce, checks: 1 + rest.atOnce * BATCH_SIZE });
			expect(await answers).toEqual(expected);
			expect(sending.sent).toEqual({ batches: 1 + rest.total, checks: expected.length });
			expect(counter.calls).toBe(0);
			// Idle again: the next check goes at once.
			const next = signatureIsValid(CASES[0]?.valid as ParsedToken, "RS256", CASES[0]?.key as VerificationKey, threads);
			expect(sending.sent.batches).toBe(2 + rest.total);
			expect(await next).toBe(true);
		} finally {
			await threads.stop();
		}
	});

	it("carry the digest of each check with its key: RS256, RS384 and RS512 checks of one key in one batch each verify with their own", async () => {
		const signing = generateSigningKey("RS256", "one-rsa-key");
		const rsa: VerificationKey = { kid: signing.kid, key: createPublicKey(signing.privateKey), algorithms: new Set(["RS256", "RS384", "RS512"] as const) };
		const tokenFor = (alg: "RS256" | "RS384" | "RS512") => parseToken(signJwt({ ...signing, alg }, { iss: "https://issuer.example" })) as ParsedToken;
		const counter = countingFallback();
		const sending = sendCounter();
		const threads = new SignatureThreads(1, counter.fallback, sending.events);
		threads.start();
		try {
			// The first check keeps the thread busy; the next three leave in one message at the turn's end.
			const checks = (["RS256", "RS256", "RS384", "RS512"] as const).map(alg => signatureIsValid(tokenFor(alg), alg, rsa, threads));
			expect(sending.sent).toEqual({ batches: 1, checks: 1 });
			expect(await Promise.all(checks)).toEqual([true, true, true, true]);
			expect(sending.sent).toEqual({ batches: 2, checks: 4 });
			expect(counter.calls).toBe(0);
		} finally {
			await threads.stop();
		}
	});

	it("spread the batches over their threads", async () => {
		const sending = sendCounter();
		const threads = new SignatureThreads(2, checkOnThreadPool, sending.events);
		threads.start();
		try {
			const answeredBy = threads.workers.map(() => 0);
			threads.workers.forEach((worker, i) => worker.on("message", () => (answeredBy[i] = (answeredBy[i] as number) + 1)));
			const first = mixedChecks(threads);
			await new Promise(resolve => setImmediate(resolve));
			const second = mixedChecks(threads);
			expect([await first.answers, await second.answers]).toEqual([first.expected, second.expected]);
			expect(sending.sent.checks).toBe(first.expected.length + second.expected.length);
			expect(answeredBy.every(count => count > 0)).toBe(true);
		} finally {
			await threads.stop();
		}
	});

	it("answer the checks of a thread that dies on the thread pool, report it once, and replace the thread a second later", async () => {
		const failures: string[] = [];
		const counter = countingFallback();
		const sending = sendCounter();
		const threads = new SignatureThreads(1, counter.fallback, { ...sending.events, threadFailed: detail => failures.push(detail) });
		threads.start();
		try {
			const { answers, expected } = mixedChecks(threads);
			await new Promise(resolve => setImmediate(resolve));
			const first = 1 + batchesFor(expected.length - 1).total;
			expect(sending.sent.batches).toBe(first);
			await threads.workers[0]?.terminate();
			expect(await answers).toEqual(expected);
			expect(counter.calls).toBeGreaterThan(0);
			expect(failures).toHaveLength(1);
			expect(threads.workers).toHaveLength(0);

			// Until the restart interval has passed, checks go to the fallback.
			const before = counter.calls;
			expect(await signatureIsValid(CASES[1]?.valid as ParsedToken, "PS256", CASES[1]?.key as VerificationKey, threads)).toBe(true);
			expect(counter.calls).toBe(before + 1);

			await new Promise(resolve => setTimeout(resolve, 1100));
			const again = mixedChecks(threads);
			expect(await again.answers).toEqual(again.expected);
			// The new thread starts with the turn's first message, and gets all of the turn's checks.
			expect(threads.workers).toHaveLength(1);
			expect(sending.sent.batches).toBe(first + batchesFor(again.expected.length).total);
			expect(counter.calls).toBe(before + 1);
		} finally {
			await threads.stop();
		}
	});

	it("send every check to the fallback before start and after stop, and answer those waiting when stopped", async () => {
		const counter = countingFallback();
		const sending = sendCounter();
		const threads = new SignatureThreads(1, counter.fallback, sending.events);
		const early = mixedChecks(threads);
		expect(await early.answers).toEqual(early.expected);
		expect(counter.calls).toBe(early.expected.length);

		threads.start();
		// The first and every full batch go to the thread at once, the rest would at the end of
		// the turn: stopped before. Whatever the thread had not answered goes to the fallback.
		const waiting = mixedChecks(threads);
		const sentToThread = 1 + batchesFor(waiting.expected.length - 1).atOnce * BATCH_SIZE;
		await threads.stop();
		expect(await waiting.answers).toEqual(waiting.expected);
		expect(threads.workers).toHaveLength(0);
		expect(counter.calls).toBeGreaterThanOrEqual(early.expected.length + waiting.expected.length - sentToThread);

		const before = counter.calls;
		const late = mixedChecks(threads);
		expect(await late.answers).toEqual(late.expected);
		expect(sending.sent).toEqual({ batches: 1 + batchesFor(waiting.expected.length - 1).atOnce, checks: sentToThread });
		expect(counter.calls).toBe(before + late.expected.length);
	});

	it("never keep a process alive: one left running still lets it end", async () => {
		const child = run("node", ["--import", "tsx", join(__dirname, "..", "..", "support", "threads-left-running.ts")], {});
		const timer = setTimeout(() => void child.stop(), 20_000);
		const code = await child.wait();
		clearTimeout(timer);
		expect([code, child.text.trim()]).toEqual([0, "valid=true batches=1"]);
	});
});
