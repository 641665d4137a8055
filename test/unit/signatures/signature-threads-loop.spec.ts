/**
 * The event loop's help (`onLoop`), on real worker threads: checks past what the threads may
 * hold wait, the threads get first pick at a turn's end, the loop takes the newest of the rest
 * one a turn, and every check still gets its own right answer, whoever checks it.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { checkOnEventLoop, checkOnThreadPool } from "../../../lib/auth/signatures/signature";
import { BATCH_SIZE, MAX_SENT_PER_THREAD, SignatureThreads, type SignatureJob, type SignatureThreadEvents } from "../../../lib/auth/signatures/signature-threads";
import { parseToken, type ParsedToken } from "../../../lib/auth/jws/token";
import { generateSigningKey, mintToken } from "../../../lib/dev-issuer/signer";

const signing = generateSigningKey("EdDSA", "loop");
const key: KeyObject = createPublicKey(signing.privateKey);

/** `count` Ed25519 checks of distinct tokens, every third forged; `expected` says which verify. */
function checks(count: number): { jobs: SignatureJob[]; expected: boolean[] } {
	const jobs: SignatureJob[] = [];
	const expected: boolean[] = [];
	for (let i = 0; i < count; i++) {
		const parsed = parseToken(mintToken(signing, { issuer: "https://issuer.example", sub: `user-${i}` })) as ParsedToken;
		const good = i % 3 !== 0;
		const bytes = Buffer.from(parsed.signature, "base64url");
		if (!good) bytes[0] = (bytes[0] as number) ^ 1;
		jobs.push({ digest: null, key, data: parsed.signingInput, signature: bytes.toString("base64url") });
		expected.push(good);
	}
	return { jobs, expected };
}

/** What happened, as the events and the loop's check tell: messages, checks sent, checks the loop took (in order), answers received from the threads. */
function watch() {
	const seen = { batches: 0, sent: 0, onLoop: [] as SignatureJob[], loopEvents: 0, fallbacks: 0, unansweredWhenLoopFirstHelped: -1 };
	let answeredByThreads = 0;
	const events: SignatureThreadEvents = {
		batchSent: n => {
			seen.batches += 1;
			seen.sent += n;
		},
		checkedOnLoop: () => (seen.loopEvents += 1)
	};
	const onLoop = (job: SignatureJob): boolean => {
		if (seen.onLoop.length === 0) seen.unansweredWhenLoopFirstHelped = seen.sent - answeredByThreads;
		seen.onLoop.push(job);
		return checkOnEventLoop(job);
	};
	const fallback = (job: SignatureJob): Promise<boolean> => {
		seen.fallbacks += 1;
		return checkOnThreadPool(job);
	};
	const countAnswers = (threads: SignatureThreads): void => {
		for (const worker of threads.workers) worker.on("message", (answers: { valid: Uint8Array }) => (answeredByThreads += answers.valid.length));
	};
	return { seen, events, onLoop, fallback, countAnswers };
}

const running: SignatureThreads[] = [];
afterEach(async () => {
	for (const threads of running.splice(0)) await threads.stop();
});

function started(w: ReturnType<typeof watch>, count = 1): SignatureThreads {
	const threads = new SignatureThreads(count, w.fallback, w.events, w.onLoop);
	running.push(threads);
	threads.start();
	w.countAnswers(threads);
	return threads;
}

describe("signature threads with the event loop's help", () => {
	it("hold back what a thread may not hold, let the loop check the newest of it once the thread is full, and answer every check right", async () => {
		const w = watch();
		const threads = started(w);
		const { jobs, expected } = checks(3 * MAX_SENT_PER_THREAD);
		const answers = Promise.all(jobs.map(job => threads.check(job)));
		// Within the turn, the first check went at once to the idle thread, then only whole
		// messages, and never more than the thread may hold.
		expect(w.seen.sent).toBe(1 + (w.seen.batches - 1) * BATCH_SIZE);
		expect(w.seen.sent).toBeLessThanOrEqual(MAX_SENT_PER_THREAD);
		expect(w.seen.sent).toBeGreaterThan(MAX_SENT_PER_THREAD - BATCH_SIZE);
		expect(w.seen.onLoop).toHaveLength(0);

		expect(await answers).toEqual(expected);
		// The loop first helped with the thread full, and took the newest check first.
		expect(w.seen.unansweredWhenLoopFirstHelped).toBe(MAX_SENT_PER_THREAD);
		expect(w.seen.onLoop[0]).toBe(jobs[jobs.length - 1]);
		// Every check was checked once: by the thread or by the loop, none by the fallback.
		expect(w.seen.onLoop.length).toBeGreaterThan(0);
		expect(w.seen.loopEvents).toBe(w.seen.onLoop.length);
		expect(w.seen.sent + w.seen.onLoop.length).toBe(jobs.length);
		expect(new Set(w.seen.onLoop).size).toBe(w.seen.onLoop.length);
		expect(w.seen.fallbacks).toBe(0);
	});

	it("leave everything to a thread that has room: a turn's checks below the limit all go to it", async () => {
		const w = watch();
		const threads = started(w);
		const { jobs, expected } = checks(MAX_SENT_PER_THREAD - 1);
		expect(await Promise.all(jobs.map(job => threads.check(job)))).toEqual(expected);
		expect(w.seen).toMatchObject({ sent: jobs.length, onLoop: [], loopEvents: 0, fallbacks: 0 });
	});

	it("spread what is held back over every thread before the loop takes any", async () => {
		const w = watch();
		const threads = started(w, 2);
		const { jobs, expected } = checks(2 * MAX_SENT_PER_THREAD + BATCH_SIZE);
		expect(await Promise.all(jobs.map(job => threads.check(job)))).toEqual(expected);
		expect(w.seen.unansweredWhenLoopFirstHelped).toBe(2 * MAX_SENT_PER_THREAD);
		expect(w.seen.sent + w.seen.onLoop.length).toBe(jobs.length);
	});

	it("send the checks held back to the fallback when stopped, each with its right answer", async () => {
		const w = watch();
		const threads = started(w);
		const { jobs, expected } = checks(2 * MAX_SENT_PER_THREAD);
		const answers = Promise.all(jobs.map(job => threads.check(job)));
		const heldBack = jobs.length - w.seen.sent;
		expect(heldBack).toBeGreaterThanOrEqual(MAX_SENT_PER_THREAD);
		await threads.stop();
		expect(await answers).toEqual(expected);
		expect(w.seen.onLoop).toHaveLength(0);
		expect(w.seen.fallbacks).toBeGreaterThanOrEqual(heldBack);
	});

	it("without onLoop, send every check at once however many the thread has (the capacity probe's threads alone)", async () => {
		const w = watch();
		const threads = new SignatureThreads(1, w.fallback, w.events);
		running.push(threads);
		threads.start();
		const { jobs, expected } = checks(2 * MAX_SENT_PER_THREAD);
		const answers = Promise.all(jobs.map(job => threads.check(job)));
		// The first at once (idle thread), then every full message.
		expect(w.seen.sent).toBe(1 + Math.floor((jobs.length - 1) / BATCH_SIZE) * BATCH_SIZE);
		expect(await answers).toEqual(expected);
		expect(w.seen).toMatchObject({ sent: jobs.length, loopEvents: 0, fallbacks: 0 });
	});
});
