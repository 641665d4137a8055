/**
 * Signature checks on worker threads, sent in batches. node:crypto's asynchronous `verify`
 * also runs off the event loop, on libuv's thread pool, but the event loop pays for each job:
 * building it and waking a pool thread costs about as much as an RS256 check itself
 * (bench/HISTORY.md). Here a check goes to an idle thread at once, and
 * while the threads are busy, checks leave 8 to a message (BATCH_SIZE), the rest of a turn's
 * at the end of that turn of the event loop (setImmediate); answers come back 8 to a message.
 * The event loop's share is a few array pushes per check.
 *
 * With `onLoop`, the event loop helps when the threads are behind: each thread is sent at
 * most MAX_SENT_PER_THREAD unanswered checks, and at the end of a turn the loop checks the
 * newest of the checks held back itself, one a turn, until none is left. The threads always
 * get first pick (a turn's end sends them all they have room for before the loop takes one),
 * so the loop only spends time that would otherwise wait for their answers: on 2 cores, with
 * one thread, the loop's core was half idle in a flood of Ed25519 tokens (bench/HISTORY.md).
 *
 * A thread that dies (or a failed start) costs nothing but speed: its unanswered checks, and
 * every check until a new thread starts, go to `fallback`. Threads are unref'd while they have
 * nothing to answer, so they never keep a process alive on their own.
 */
import type { KeyObject, VerifyKeyObjectInput } from "node:crypto";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { SignatureAnswers, SignatureBatch } from "./signature-worker.mjs";

export interface SignatureJob {
	/** Digest for RSA/ECDSA; null for Ed25519. */
	readonly digest: string | null;
	/** The same object for the same key and algorithm, so a batch carries each key once. */
	readonly key: KeyObject | VerifyKeyObjectInput;
	readonly data: string;
	/** Canonical base64url. */
	readonly signature: string;
}

export interface SignatureThreadEvents {
	/** A thread stopped unexpectedly or could not start; checks go to the fallback meanwhile. */
	threadFailed?(detail: string): void;
	/** A message of `checks` checks went to a thread. */
	batchSent?(checks: number): void;
	/** A thread answered `checks` checks (those of a thread that dies unanswered go to the fallback instead). */
	checkedOnThread?(checks: number): void;
	/** The event loop checked a signature itself: held back from busy threads (`onLoop`), or past the queue's bound. */
	checkedOnLoop?(): void;
	/** A check went to node:crypto's thread pool: no signature threads, or none running. */
	checkedOnThreadPool?(): void;
}

/** The name of the threads, as `top -H` and /proc/<pid>/task/<tid>/comm show them. */
export const THREAD_NAME = "jwt-signatures";
/**
 * Checks per message. A busy event loop's turn can gather dozens of checks; holding them all
 * to the turn's end leaves the thread waiting meanwhile, and smaller messages cost the event
 * loop more of them. 8 balances the two best of the sizes tried (bench/HISTORY.md).
 */
export const BATCH_SIZE = 8;
/**
 * Unanswered checks a thread is sent at most when the event loop can help (`onLoop`): 3
 * batches queued behind the one it works on, so it never waits for the loop's next turn,
 * and anything more is left where the loop can take it.
 */
export const MAX_SENT_PER_THREAD = 4 * BATCH_SIZE;
/** A failed thread is replaced at most this often; checks use the fallback in between. */
const RESTART_INTERVAL_MS = 1000;

/** The default number of threads: every core but one, which the event loop keeps; at least one. */
export function defaultThreadCount(cores: number = availableParallelism()): number {
	return Math.max(1, cores - 1);
}

/** The built worker next to this module in dist/, or its source, which Node runs as it is. */
function workerFile(): string {
	const built = join(__dirname, "signature-worker.mjs");
	return existsSync(built) ? built : join(__dirname, "signature-worker.mts");
}

interface Batch {
	readonly jobs: SignatureJob[];
	readonly answers: ((valid: boolean) => void)[];
	/** Checks of the batch answered so far. */
	answered: number;
}

class SignatureThread {
	readonly worker: Worker;
	readonly sent = new Map<number, Batch>();
	/** Checks sent and not yet answered. */
	inFlight = 0;

	constructor(onAnswers: (thread: SignatureThread, answers: SignatureAnswers) => void, onExit: (thread: SignatureThread, detail: string) => void) {
		this.worker = new Worker(workerFile(), { name: THREAD_NAME });
		let error: unknown;
		this.worker.on("message", (answers: SignatureAnswers) => onAnswers(this, answers));
		this.worker.on("error", (err: unknown) => (error = err));
		this.worker.on("exit", code => onExit(this, messageOf(error) ?? `exit code ${code}`));
		// After the listeners: a "message" listener refs the thread's port again, and a thread
		// started and never used kept the process alive.
		this.worker.unref();
	}
}

export class SignatureThreads {
	private readonly threads = new Set<SignatureThread>();
	/** Checks not sent yet, oldest first: the turn's partial batch, and those held back from busy threads. */
	private readonly waiting: SignatureJob[] = [];
	private readonly waitingAnswers: ((valid: boolean) => void)[] = [];
	/** A turn-end flush is already asked for. */
	private flushScheduled = false;
	private nextBatchId = 1;
	private running = false;
	private restartAfter = 0;
	/** Unanswered checks a thread may hold. */
	private readonly perThread: number;

	/**
	 * `onLoop`: a synchronous check, for the event loop to take checks the busy threads have
	 * no room for; without it every check is sent at once, however far behind the threads are.
	 */
	constructor(
		readonly count: number,
		private readonly fallback: (job: SignatureJob) => Promise<boolean>,
		private readonly events: SignatureThreadEvents = {},
		private readonly onLoop?: (job: SignatureJob) => boolean
	) {
		if (!Number.isInteger(count) || count < 1) throw new RangeError(`SignatureThreads needs at least one thread, got ${count}`);
		this.perThread = onLoop === undefined ? Number.POSITIVE_INFINITY : MAX_SENT_PER_THREAD;
	}

	/** Starts the threads; until then, and after `stop`, every check goes to the fallback. */
	start(): void {
		if (this.running) return;
		this.running = true;
		this.restartAfter = 0;
		for (let i = this.threads.size; i < this.count; i++) this.spawn();
	}

	/** Stops the threads; checks they had not answered, and those not sent yet, go to the fallback. */
	async stop(): Promise<void> {
		this.running = false;
		this.fallBack(this.takeWaiting(this.waiting.length));
		const threads = [...this.threads];
		await Promise.all(threads.map(thread => thread.worker.terminate()));
	}

	/** The threads now running (a failed one is gone until it is replaced). */
	get workers(): Worker[] {
		return [...this.threads].map(thread => thread.worker);
	}

	check(job: SignatureJob): Promise<boolean> {
		if (!this.running) return this.fallback(job);
		this.waiting.push(job);
		const answer = new Promise<boolean>(resolve => this.waitingAnswers.push(resolve));
		// A thread with nothing to do gets the check at once: waiting for the end of the turn
		// only pays while the threads are busy, and would add a turn of the event loop to it.
		const idle = this.hasIdleThread();
		if (idle || this.waiting.length >= BATCH_SIZE) this.send(idle);
		if (this.waiting.length > 0) this.flushAtTurnEnd();
		return answer;
	}

	private flushAtTurnEnd(): void {
		if (this.flushScheduled) return;
		this.flushScheduled = true;
		setImmediate(this.turnEnded);
	}

	/** Everything the threads have room for leaves; the loop checks the newest of the rest, one a turn. */
	private readonly turnEnded = (): void => {
		this.flushScheduled = false;
		this.send(true);
		const onLoop = this.onLoop;
		if (onLoop === undefined || this.waiting.length === 0) return;
		const job = this.waiting.pop() as SignatureJob;
		const answer = this.waitingAnswers.pop() as (valid: boolean) => void;
		this.events.checkedOnLoop?.();
		answer(onLoop(job));
		if (this.waiting.length > 0) this.flushAtTurnEnd();
	};

	private hasIdleThread(): boolean {
		for (const thread of this.threads) if (thread.inFlight === 0) return true;
		return false;
	}

	/** A thread that cannot be created (a resource limit) is a failed thread: retried later, never a throw. */
	private spawn(): void {
		try {
			this.threads.add(new SignatureThread(this.answered, this.exited));
		} catch (err) {
			this.restartAfter = Date.now() + RESTART_INTERVAL_MS;
			this.events.threadFailed?.(messageOf(err) ?? String(err));
		}
	}

	/**
	 * Waiting checks to the least busy thread, in messages of BATCH_SIZE while threads have room
	 * for them; `partial`: the last, shorter message too (the turn's end). With no thread to send to,
	 * every waiting check goes to the fallback.
	 */
	private send(partial: boolean): void {
		if (this.running && this.threads.size < this.count && Date.now() >= this.restartAfter) this.spawn();
		while (this.waiting.length >= (partial ? 1 : BATCH_SIZE)) {
			let thread: SignatureThread | undefined;
			for (const candidate of this.threads) if (thread === undefined || candidate.inFlight < thread.inFlight) thread = candidate;
			if (!this.running || thread === undefined) {
				this.fallBack(this.takeWaiting(this.waiting.length));
				return;
			}
			const room = Math.min(BATCH_SIZE, this.perThread - thread.inFlight, this.waiting.length);
			if (room <= 0 || (!partial && room < BATCH_SIZE)) return;
			this.sendTo(thread, this.takeWaiting(room));
		}
	}

	/** The `n` oldest waiting checks, as a batch. */
	private takeWaiting(n: number): Batch {
		return { jobs: this.waiting.splice(0, n), answers: this.waitingAnswers.splice(0, n), answered: 0 };
	}

	private sendTo(thread: SignatureThread, batch: Batch): void {
		const id = this.nextBatchId++;
		try {
			thread.worker.postMessage(message(id, batch.jobs));
		} catch {
			// A key node cannot pass to a thread: the checks still get their answers.
			this.fallBack(batch);
			return;
		}
		thread.sent.set(id, batch);
		if (thread.inFlight === 0) thread.worker.ref();
		thread.inFlight += batch.jobs.length;
		this.events.batchSent?.(batch.jobs.length);
	}

	private readonly answered = (thread: SignatureThread, answers: SignatureAnswers): void => {
		const batch = thread.sent.get(answers.id);
		if (batch === undefined) return;
		const { first, valid } = answers;
		batch.answered += valid.length;
		if (batch.answered >= batch.jobs.length) thread.sent.delete(answers.id);
		thread.inFlight -= valid.length;
		if (thread.inFlight === 0) thread.worker.unref();
		this.events.checkedOnThread?.(valid.length);
		for (let i = 0; i < valid.length; i++) (batch.answers[first + i] as (valid: boolean) => void)(valid[i] === 1);
		// Checks held back go to the room this made, at the end of this turn.
		if (this.waiting.length > 0) this.flushAtTurnEnd();
	};

	private readonly exited = (thread: SignatureThread, detail: string): void => {
		this.threads.delete(thread);
		for (const batch of thread.sent.values()) this.fallBack(batch);
		thread.sent.clear();
		if (this.waiting.length > 0) this.flushAtTurnEnd();
		if (!this.running) return;
		this.restartAfter = Date.now() + RESTART_INTERVAL_MS;
		this.events.threadFailed?.(detail);
	};

	/** The checks of `batch` not answered yet (a thread answers in order) go to the fallback. */
	private fallBack(batch: Batch): void {
		for (let i = batch.answered; i < batch.jobs.length; i++) {
			const answer = batch.answers[i] as (valid: boolean) => void;
			this.fallback(batch.jobs[i] as SignatureJob).then(answer, () => answer(false));
		}
	}
}

/**
 * An error's message, whatever realm made it: a thread's error is deserialised in another realm
 * than this module's (a test runner's sandbox is one), where `instanceof Error` would drop it.
 */
function messageOf(err: unknown): string | null {
	const message = typeof err === "object" && err !== null ? (err as { message?: unknown }).message : undefined;
	return typeof message === "string" ? message : null;
}

/** One message for a batch: each (digest, key) pair once, and the checks as parallel arrays. */
function message(id: number, jobs: readonly SignatureJob[]): SignatureBatch {
	const keys: { digest: string | null; key: KeyObject | VerifyKeyObjectInput }[] = [];
	const key: number[] = [];
	const data: string[] = [];
	const signature: string[] = [];
	for (const job of jobs) {
		// An issuer has a handful of keys: a scan of the batch's few pairs beats a map.
		let index = keys.findIndex(pair => pair.key === job.key && pair.digest === job.digest);
		if (index === -1) index = keys.push({ digest: job.digest, key: job.key }) - 1;
		key.push(index);
		data.push(job.data);
		signature.push(job.signature);
	}
	return { id, keys, key, data, signature };
}
