/**
 * Signature checks on worker threads, sent in batches. node:crypto's asynchronous `verify`
 * also runs off the event loop, on libuv's thread pool, but the event loop pays for each job:
 * building it and waking a pool thread costs about as much as an RS256 check itself
 * (bench/HISTORY.md). Here a check goes to an idle thread at once, and
 * while the threads are busy, checks leave 8 to a message (BATCH_SIZE), the rest of a turn's
 * at the end of that turn of the event loop (setImmediate); answers come back 8 to a message.
 * The event loop's share is a few array pushes per check.
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
}

/** The name of the threads, as `top -H` and /proc/<pid>/task/<tid>/comm show them. */
export const THREAD_NAME = "jwt-signatures";
/**
 * Checks per message. A busy event loop's turn can gather dozens of checks; holding them all
 * to the turn's end leaves the thread waiting meanwhile, and smaller messages cost the event
 * loop more of them. 8 balances the two best of the sizes tried (bench/HISTORY.md).
 */
export const BATCH_SIZE = 8;
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
	private batch: Batch | null = null;
	/** One flush at the end of this turn is already asked for. */
	private flushScheduled = false;
	private nextBatchId = 1;
	private running = false;
	private restartAfter = 0;

	constructor(
		readonly count: number,
		private readonly fallback: (job: SignatureJob) => Promise<boolean>,
		private readonly events: SignatureThreadEvents = {}
	) {
		if (!Number.isInteger(count) || count < 1) throw new RangeError(`SignatureThreads needs at least one thread, got ${count}`);
	}

	/** Starts the threads; until then, and after `stop`, every check goes to the fallback. */
	start(): void {
		if (this.running) return;
		this.running = true;
		this.restartAfter = 0;
		for (let i = this.threads.size; i < this.count; i++) this.spawn();
	}

	/** Stops the threads; checks they had not answered go to the fallback. */
	async stop(): Promise<void> {
		this.running = false;
		const threads = [...this.threads];
		await Promise.all(threads.map(thread => thread.worker.terminate()));
	}

	/** The threads now running (a failed one is gone until it is replaced). */
	get workers(): Worker[] {
		return [...this.threads].map(thread => thread.worker);
	}

	check(job: SignatureJob): Promise<boolean> {
		if (!this.running) return this.fallback(job);
		const batch = (this.batch ??= { jobs: [], answers: [], answered: 0 });
		batch.jobs.push(job);
		const answer = new Promise<boolean>(resolve => batch.answers.push(resolve));
		// A thread with nothing to do gets the check at once: waiting for the end of the turn
		// only pays while the threads are busy, and would add a turn of the event loop to it.
		if (batch.jobs.length >= BATCH_SIZE || this.hasIdleThread()) this.flush();
		else if (!this.flushScheduled) {
			this.flushScheduled = true;
			setImmediate(this.flushAtTurnEnd);
		}
		return answer;
	}

	private readonly flushAtTurnEnd = (): void => {
		this.flushScheduled = false;
		this.flush();
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

	/** The batch goes to the least busy thread. */
	private flush(): void {
		const batch = this.batch;
		this.batch = null;
		if (batch === null) return;
		if (this.running && this.threads.size < this.count && Date.now() >= this.restartAfter) this.spawn();
		let thread: SignatureThread | undefined;
		for (const candidate of this.threads) if (thread === undefined || candidate.inFlight < thread.inFlight) thread = candidate;
		if (!this.running || thread === undefined) {
			this.fallBack(batch);
			return;
		}
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
		for (let i = 0; i < valid.length; i++) (batch.answers[first + i] as (valid: boolean) => void)(valid[i] === 1);
	};

	private readonly exited = (thread: SignatureThread, detail: string): void => {
		this.threads.delete(thread);
		for (const batch of thread.sent.values()) this.fallBack(batch);
		thread.sent.clear();
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
