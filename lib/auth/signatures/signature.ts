/**
 * The signature step, off the event loop: on the gateway's signature threads
 * (signature-threads.ts) when it has them, with the loop taking a share only while they are
 * behind, otherwise on node:crypto's thread pool (asynchronous `crypto.verify`). A signature
 * check is the largest CPU cost of a request, and jsonwebtoken's synchronous `verify` would
 * decode again, on the event loop, what `parseToken` already decoded (bench/HISTORY.md). The
 * key has already been proven to fit the algorithm (key-set.ts).
 */
import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";
import type { JwsAlgorithm } from "../jws/algorithms";
import type { VerificationKey } from "../keys/key-set";
import type { SignatureJob, SignatureThreadEvents, SignatureThreads } from "./signature-threads";
import type { ParsedToken } from "../jws/token";

interface SignatureScheme {
	/** Digest for RSA/ECDSA; null for Ed25519, which hashes internally. */
	readonly digest: "sha256" | "sha384" | "sha512" | null;
	/**
	 * Exact signature length in bytes where the algorithm fixes it (ECDSA r||s, Ed25519); for
	 * RSA it is the modulus length (RFC 8017 §8.1.2, §8.2.2), read from the key.
	 */
	readonly bytes?: number;
	readonly options?: Omit<VerifyKeyObjectInput, "key">;
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
// JWS carries ECDSA signatures as r||s (RFC 7518 §3.4), not DER.
const P1363 = { dsaEncoding: "ieee-p1363" } as const;

const SCHEMES: Readonly<Record<JwsAlgorithm, SignatureScheme>> = {
	RS256: { digest: "sha256" },
	RS384: { digest: "sha384" },
	RS512: { digest: "sha512" },
	PS256: { digest: "sha256", options: PSS },
	PS384: { digest: "sha384", options: PSS },
	PS512: { digest: "sha512", options: PSS },
	ES256: { digest: "sha256", bytes: 64, options: P1363 },
	ES384: { digest: "sha384", bytes: 96, options: P1363 },
	ES512: { digest: "sha512", bytes: 132, options: P1363 },
	EdDSA: { digest: null, bytes: 64 }
};

/**
 * Checks waiting for an answer at most. Off the loop they wait in a queue (a thread's, or the
 * pool's, which also serves `fs` and the `dns.lookup` of key-set fetches): a flood of forged
 * tokens must not queue thousands of checks, and at this bound a thread's queue is still a few
 * milliseconds of work. Past the bound a check runs on the event loop, which slows the flood's own
 * connections and bounds the queue.
 */
export const MAX_QUEUED_CHECKS = 256;

/** node:crypto's arguments for a job: the signing input is base64url and a dot, one byte per character. */
function verifyArguments(job: SignatureJob): [string | null, Buffer, SignatureJob["key"], Buffer] {
	return [job.digest, Buffer.from(job.data, "latin1"), job.key, Buffer.from(job.signature, "base64url")];
}

/** On the event loop; an error (a malformed signature) counts as false. */
export function checkOnEventLoop(job: SignatureJob): boolean {
	try {
		return verify(...verifyArguments(job));
	} catch {
		return false;
	}
}

/** On node:crypto's thread pool: the way without signature threads, and their fallback. */
export function checkOnThreadPool(job: SignatureJob): Promise<boolean> {
	return new Promise(resolve => {
		try {
			verify(...verifyArguments(job), (err, ok) => resolve(err === null && ok));
		} catch {
			resolve(false);
		}
	});
}

/**
 * The signature step of one verifier: where its checks run, how many wait off the event loop,
 * and what node:crypto is given for each key, made once per key and algorithm (a batch to the
 * threads carries each such object once).
 */
export class SignatureChecks {
	private queued = 0;
	private readonly keyInputs = new WeakMap<KeyObject, Map<SignatureScheme, KeyObject | VerifyKeyObjectInput>>();
	/** RSA modulus lengths in bytes, read once per key (the getter builds an object each call). */
	private readonly modulusBytes = new WeakMap<KeyObject, number>();

	/** `threads`: the gateway's signature threads; node:crypto's thread pool when absent. */
	constructor(
		private readonly threads?: SignatureThreads,
		private readonly events: Pick<SignatureThreadEvents, "checkedOnLoop" | "checkedOnThreadPool"> = {}
	) {}

	/** True only for a signature that verifies; an error (a malformed signature) counts as false. */
	isValid(parsed: ParsedToken, alg: JwsAlgorithm, key: VerificationKey): Promise<boolean> {
		const scheme = SCHEMES[alg];
		if (parsed.signatureBytes !== this.expectedBytes(scheme, key.key)) return Promise.resolve(false);
		const job: SignatureJob = { digest: scheme.digest, key: this.keyInput(scheme, key.key), data: parsed.signingInput, signature: parsed.signature };
		if (this.queued >= MAX_QUEUED_CHECKS) {
			this.events.checkedOnLoop?.();
			return Promise.resolve(checkOnEventLoop(job));
		}
		this.queued += 1;
		if (this.threads !== undefined) return this.threads.check(job).then(this.settled);
		this.events.checkedOnThreadPool?.();
		return checkOnThreadPool(job).then(this.settled);
	}

	private readonly settled = (valid: boolean): boolean => {
		this.queued -= 1;
		return valid;
	};

	private keyInput(scheme: SignatureScheme, key: KeyObject): KeyObject | VerifyKeyObjectInput {
		if (scheme.options === undefined) return key;
		let inputs = this.keyInputs.get(key);
		if (inputs === undefined) this.keyInputs.set(key, (inputs = new Map()));
		let input = inputs.get(scheme);
		if (input === undefined) inputs.set(scheme, (input = { key, ...scheme.options }));
		return input;
	}

	/**
	 * node:crypto accepts an RSA signature one leading zero byte short (OpenSSL pads it back), so a
	 * valid token whose signature starts with 0 had a second spelling; each algorithm's signature
	 * has exactly one length here, so no byte can be added or dropped.
	 */
	private expectedBytes(scheme: SignatureScheme, key: KeyObject): number {
		if (scheme.bytes !== undefined) return scheme.bytes;
		let bytes = this.modulusBytes.get(key);
		if (bytes === undefined) this.modulusBytes.set(key, (bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8)));
		return bytes;
	}
}
