/**
 * The signature step, on node:crypto's thread pool. Measured (npm run bench, README): a
 * signature check is 16 µs (RS256) to 60 µs (Ed25519) of CPU, and jsonwebtoken's synchronous
 * `verify` adds 10 µs more of decoding what `parseToken` already decoded, all on the event
 * loop. The asynchronous `crypto.verify` leaves the loop free to parse and answer other
 * requests meanwhile (with a bounded queue, below). The key has already been proven to fit the
 * algorithm (key-set.ts).
 */
import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";
import type { JwsAlgorithm } from "./algorithms";
import type { VerificationKey } from "./key-set";
import type { ParsedToken } from "./token";

interface SignatureScheme {
	/** Digest for RSA/ECDSA; null for Ed25519, which hashes internally. */
	readonly digest: "sha256" | "sha384" | "sha512" | null;
	/** Exact signature length in bytes, where the algorithm fixes it (ECDSA r||s, Ed25519). */
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

function keyInput(scheme: SignatureScheme, key: KeyObject): KeyObject | VerifyKeyObjectInput {
	return scheme.options === undefined ? key : { key, ...scheme.options };
}

/**
 * Checks queued on the thread pool at most. The pool (every core but one, lib/thread-pool.ts)
 * also serves `fs` and the `dns.lookup` of key-set fetches: a flood of forged tokens must not
 * queue thousands of jobs ahead of them (256 queued Ed25519 checks are about 15 ms of work for
 * one thread). Past the bound a check runs on the event loop, which slows the flood's own
 * connections and bounds the queue.
 */
export const MAX_QUEUED_CHECKS = 256;
let queued = 0;

function verifySync(scheme: SignatureScheme, data: Buffer, key: KeyObject, signature: Buffer): boolean {
	try {
		return verify(scheme.digest, data, keyInput(scheme, key), signature);
	} catch {
		return false;
	}
}

/** True only for a signature that verifies; an error (a malformed signature) counts as false. */
export function signatureIsValid(parsed: ParsedToken, alg: JwsAlgorithm, key: VerificationKey): Promise<boolean> {
	const scheme = SCHEMES[alg];
	if (scheme.bytes !== undefined && parsed.signature.length !== scheme.bytes) return Promise.resolve(false);
	const data = Buffer.from(parsed.signingInput);
	if (queued >= MAX_QUEUED_CHECKS) return Promise.resolve(verifySync(scheme, data, key.key, parsed.signature));
	queued += 1;
	return new Promise(resolve => {
		const done = (valid: boolean): void => {
			queued -= 1;
			resolve(valid);
		};
		try {
			verify(scheme.digest, data, keyInput(scheme, key.key), parsed.signature, (err, ok) => done(err === null && ok));
		} catch {
			done(false);
		}
	});
}

/** Checks now waiting on or running in the thread pool (for tests and diagnostics). */
export function queuedChecks(): number {
	return queued;
}
