/**
 * The worker thread of signature-threads.ts: checks a batch of signatures synchronously and
 * answers with one byte per check, in order. It imports node's modules only, so Node runs this
 * file as it is (type stripping) in development and tests, and its build in dist/ in
 * production; an ES module (.mts), so Node need not guess its module type.
 */
import { verify, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";
import { parentPort } from "node:worker_threads";

/** One message: `keys` holds each (key, options) pair of the batch once; checks point into it. */
export interface SignatureBatch {
	readonly id: number;
	readonly keys: readonly { readonly digest: string | null; readonly key: KeyObject | VerifyKeyObjectInput }[];
	/** Per check: index into `keys`, the signing input, and the signature as base64url. */
	readonly key: readonly number[];
	readonly data: readonly string[];
	readonly signature: readonly string[];
}

/** Answers to the checks `first` to `first + valid.length - 1` of batch `id`. */
export interface SignatureAnswers {
	readonly id: number;
	readonly first: number;
	/** 1: the signature verifies; 0: it does not, or node:crypto refused the input. */
	readonly valid: Uint8Array;
}

/**
 * Answers go back a few at a time, not once per batch: the event loop can answer those
 * requests while this thread checks the next ones. Not one at a time either: each message
 * costs the event loop a wake-up (bench/HISTORY.md).
 */
const ANSWER_EVERY = 8;

function isValid(batch: SignatureBatch, i: number): boolean {
	const scheme = batch.keys[batch.key[i] as number];
	try {
		// The signing input is base64url and a dot: one byte per character.
		return scheme !== undefined && verify(scheme.digest, Buffer.from(batch.data[i] as string, "latin1"), scheme.key, Buffer.from(batch.signature[i] as string, "base64url"));
	} catch {
		return false;
	}
}

function checkBatch(batch: SignatureBatch): void {
	for (let first = 0; first < batch.data.length; first += ANSWER_EVERY) {
		const valid = new Uint8Array(Math.min(ANSWER_EVERY, batch.data.length - first));
		for (let i = 0; i < valid.length; i++) valid[i] = isValid(batch, first + i) ? 1 : 0;
		parentPort?.postMessage({ id: batch.id, first, valid } satisfies SignatureAnswers);
	}
}

parentPort?.on("message", checkBatch);
