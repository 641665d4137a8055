/**
 * The signature step runs on worker threads or node:crypto's thread pool instead of
 * jsonwebtoken (npm run bench shows why). jsonwebtoken stays the reference: for every RS/PS/ES
 * algorithm, on valid tokens and on random mutations of them, both must give the same answer,
 * on either way of checking. EdDSA, which jsonwebtoken cannot verify, is checked against
 * node:crypto's synchronous one-shot verify.
 */
import { constants, createPublicKey, createSecretKey, randomBytes, verify as cryptoVerify } from "node:crypto";
import fc from "fast-check";
import jwt from "jsonwebtoken";
import type { JwsAlgorithm } from "../../../lib/auth/jws/algorithms";
import type { VerificationKey } from "../../../lib/auth/keys/key-set";
import { checkOnThreadPool, MAX_QUEUED_CHECKS, SignatureChecks } from "../../../lib/auth/signatures/signature";
import { SignatureThreads, type SignatureJob } from "../../../lib/auth/signatures/signature-threads";
import { parseToken, type ParsedToken } from "../../../lib/auth/jws/token";
import { generateSigningKey, mintToken, signJwt, type SigningAlgorithm } from "../../../lib/dev-issuer/signer";
import { tokenWithLeadingZero, withSignatureBytes } from "../../support/attack-kit";

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const JWS_ALGORITHMS: SigningAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512"];
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** One check by a signature step of its own (the step's queue bound is per verifier). */
function checkSignature(structure: ParsedToken, alg: JwsAlgorithm, key: VerificationKey, threads?: SignatureThreads): Promise<boolean> {
	return new SignatureChecks(threads).isValid(structure, alg, key);
}

function parsed(token: string): ParsedToken | null {
	const result = parseToken(token);
	return result.ok ? result : null;
}

function setup(alg: SigningAlgorithm) {
	const signing = generateSigningKey(alg, `k-${alg}`);
	const publicKey = createPublicKey(signing.privateKey);
	const key: VerificationKey = { kid: signing.kid, key: publicKey, algorithms: new Set([alg as JwsAlgorithm]) };
	const token = mintToken(signing, { issuer: "https://issuer.example" });
	return { signing, publicKey, key, token };
}

/** jsonwebtoken's verdict on the signature alone. */
function referenceVerdict(token: string, alg: SigningAlgorithm, publicKey: ReturnType<typeof createPublicKey>): boolean {
	try {
		jwt.verify(token, publicKey, { algorithms: [alg as jwt.Algorithm], ignoreExpiration: true, ignoreNotBefore: true });
		return true;
	} catch {
		return false;
	}
}

/** The same signature with other bytes: base64url of `bytes`. */
function respelled(structure: ParsedToken, change: (bytes: Buffer) => Buffer): ParsedToken {
	const bytes = change(Buffer.from(structure.signature, "base64url"));
	return { ...structure, signature: bytes.toString("base64url"), signatureBytes: bytes.length };
}

const threads = new SignatureThreads(2, checkOnThreadPool);
beforeAll(() => threads.start());
afterAll(() => threads.stop());

/** Each way of checking: signatures threads (the default), node:crypto's thread pool (JWT_VERIFY_THREADS=0). */
const WAYS: [string, () => SignatureThreads | undefined][] = [
	["on signature threads", () => threads],
	["on the thread pool", () => undefined]
];

describe.each(JWS_ALGORITHMS.flatMap(alg => WAYS.map(([way, of]) => [alg, way, of] as const)))("signature step agrees with jsonwebtoken: %s %s", (alg, _way, of) => {
	const { publicKey, key, token } = setup(alg);
	const signatureIsValid = (structure: ParsedToken, algorithm: JwsAlgorithm, verificationKey: VerificationKey) => checkSignature(structure, algorithm, verificationKey, of());

	it("accepts the token jsonwebtoken signed, and jsonwebtoken accepts a token signed here", async () => {
		expect(await signatureIsValid(parsed(token) as ParsedToken, alg as JwsAlgorithm, key)).toBe(true);
		const other = setup(alg);
		expect(referenceVerdict(signJwt(other.signing, { iss: "x" }), alg, other.publicKey)).toBe(true);
	});

	it("gives jsonwebtoken's answer for every single-character change of the token", async () => {
		await fc.assert(
			fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(...ALPHABET), async (index, char) => {
				const mutated = token.slice(0, index) + char + token.slice(index + 1);
				const reference = referenceVerdict(mutated, alg, publicKey);
				const structure = parsed(mutated);
				// What parseToken refuses never reaches the signature step. It is stricter than
				// jsonwebtoken on purpose (a non-canonical last base64url character): token.spec.ts.
				if (structure === null) return;
				expect(await signatureIsValid(structure, alg as JwsAlgorithm, key)).toBe(reference);
			}),
			{ seed: SEED, numRuns: 150 }
		);
	});

	it("refuses an all-zero signature of the right length", async () => {
		const structure = parsed(token) as ParsedToken;
		const zero = respelled(structure, bytes => Buffer.alloc(bytes.length));
		expect(await signatureIsValid(zero, alg as JwsAlgorithm, key)).toBe(false);
	});
});

describe.each(WAYS)("signature step: EdDSA %s", (_way, of) => {
	const { signing, publicKey, key, token } = setup("EdDSA");
	const signatureIsValid = (structure: ParsedToken, algorithm: JwsAlgorithm, verificationKey: VerificationKey) => checkSignature(structure, algorithm, verificationKey, of());

	it("agrees with node:crypto's synchronous verify on random single-character changes", async () => {
		await fc.assert(
			fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(...ALPHABET), async (index, char) => {
				const structure = parsed(token.slice(0, index) + char + token.slice(index + 1));
				if (structure === null) return;
				const bytes = Buffer.from(structure.signature, "base64url");
				const reference = bytes.length === 64 && cryptoVerify(null, Buffer.from(structure.signingInput), publicKey, bytes);
				expect(await signatureIsValid(structure, "EdDSA", key)).toBe(reference);
			}),
			{ seed: SEED, numRuns: 150 }
		);
	});

	it("refuses a signature that is not 64 bytes, and a key of another type", async () => {
		const structure = parsed(token) as ParsedToken;
		expect(await signatureIsValid(respelled(structure, bytes => bytes.subarray(0, 63)), "EdDSA", key)).toBe(false);
		const rsa = setup("RS256").key;
		expect(await signatureIsValid(structure, "EdDSA", rsa)).toBe(false);
		expect(signing.kid).toBe("k-EdDSA");
	});
});

describe.each(WAYS)("signature step: one spelling per signature %s", (_way, of) => {
	it.each([
		["RS256", false],
		["PS256", true]
	] as const)("refuses a %s signature with its leading zero byte dropped or one added (node:crypto alone accepts the dropped one: %s)", async (alg, gap) => {
		const { signing, publicKey, key } = setup(alg);
		const token = tokenWithLeadingZero(signing, () => ({ iss: "https://issuer.example" }));
		const stripped = withSignatureBytes(token, bytes => bytes.subarray(1));
		const structure = parsed(stripped) as ParsedToken;
		// The gap itself: for PSS, OpenSSL pads the short signature back and verifies it.
		const options = alg === "PS256" ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : publicKey;
		expect(cryptoVerify("sha256", Buffer.from(structure.signingInput), options, Buffer.from(structure.signature, "base64url"))).toBe(gap);
		expect(await checkSignature(parsed(token) as ParsedToken, alg, key, of())).toBe(true);
		expect(await checkSignature(structure, alg, key, of())).toBe(false);
		expect(await checkSignature(parsed(withSignatureBytes(token, bytes => Buffer.concat([Buffer.alloc(1), bytes]))) as ParsedToken, alg, key, of())).toBe(false);
	});

	it.each(["ES256", "ES384", "ES512"] as const)("refuses a %s signature with a zero byte added in front or at the end", async alg => {
		const { key, token } = setup(alg);
		expect(await checkSignature(parsed(token) as ParsedToken, alg, key, of())).toBe(true);
		for (const change of [(bytes: Buffer) => Buffer.concat([Buffer.alloc(1), bytes]), (bytes: Buffer) => Buffer.concat([bytes, Buffer.alloc(1)])]) {
			expect(await checkSignature(parsed(withSignatureBytes(token, change)) as ParsedToken, alg, key, of())).toBe(false);
		}
	});
});

describe.each(WAYS)("signature step: a bounded queue %s", (_way, of) => {
	it("queues at most MAX_QUEUED_CHECKS checks, runs the rest on the event loop, and answers every one right", async () => {
		const { key, token } = setup("RS256");
		const valid = parsed(token) as ParsedToken;
		const forged = respelled(valid, bytes => Buffer.from(bytes).fill(7, 0, 8));
		const counted = { onLoop: 0, onThreadPool: 0 };
		const signatures = new SignatureChecks(of(), { checkedOnLoop: () => (counted.onLoop += 1), checkedOnThreadPool: () => (counted.onThreadPool += 1) });
		const answeredAtOnce = async (checks: Promise<boolean>[]): Promise<number> => {
			let answered = 0;
			for (const check of checks) void check.then(() => (answered += 1));
			// A check off the event loop cannot answer before the loop's next turn; one run on it already has.
			await Promise.resolve();
			return answered;
		};
		const count = MAX_QUEUED_CHECKS * 4;
		const checks = Array.from({ length: count }, (_, i) => signatures.isValid(i % 2 === 0 ? valid : forged, "RS256", key));
		expect(await answeredAtOnce(checks)).toBe(count - MAX_QUEUED_CHECKS);
		// Each check is counted where it ran (the threads count their own: signature-threads.spec.ts).
		expect(counted).toEqual({ onLoop: count - MAX_QUEUED_CHECKS, onThreadPool: of() === undefined ? MAX_QUEUED_CHECKS : 0 });
		const answers = await Promise.all(checks);
		expect(answers).toEqual(Array.from({ length: count }, (_, i) => i % 2 === 0));
		// Answered checks leave the queue: the next MAX_QUEUED_CHECKS wait off the loop again.
		const again = Array.from({ length: MAX_QUEUED_CHECKS + 1 }, () => signatures.isValid(valid, "RS256", key));
		expect(await answeredAtOnce(again)).toBe(1);
		expect(await Promise.all(again)).toEqual(again.map(() => true));
	});
});

describe.each(WAYS)("signature step: keys node:crypto refuses %s", (_way, of) => {
	// An ES256 signature is 64 bytes like an Ed25519 one, so these checks get past the length
	// test to node:crypto, which throws (an Ed25519 key given a digest; a secret key) or, on the
	// thread pool, answers an error. key-set.ts never pairs such keys; this step must still answer.
	const ed = setup("EdDSA");
	const structure = parsed(ed.token) as ParsedToken;
	const edAsEs: VerificationKey = { ...ed.key, algorithms: new Set(["ES256"]) };
	const secret: VerificationKey = { kid: "s", key: createSecretKey(randomBytes(32)), algorithms: new Set(["ES256", "RS256"]) };

	it("answers false, neither throwing nor leaving the check waiting", async () => {
		expect(await checkSignature(structure, "ES256", edAsEs, of())).toBe(false);
		expect(await checkSignature(structure, "ES256", secret, of())).toBe(false);
		// No modulus to read the RSA signature length from.
		expect(await checkSignature(structure, "RS256", secret, of())).toBe(false);
	});

	it("answers false on the event loop too, with the queue full", async () => {
		const signatures = new SignatureChecks(of());
		const queued = Array.from({ length: MAX_QUEUED_CHECKS }, () => signatures.isValid(structure, "EdDSA", ed.key));
		expect(await signatures.isValid(structure, "ES256", edAsEs)).toBe(false);
		expect(await signatures.isValid(structure, "ES256", secret)).toBe(false);
		expect(await Promise.all(queued)).toEqual(queued.map(() => true));
	});
});

describe("signature step: what node:crypto is given for a key", () => {
	/** The jobs of `checks` made `rounds` times by one step, as threads not started hand them to their fallback. */
	async function jobsOf(checks: (signatures: SignatureChecks) => Promise<boolean>[], rounds = 1): Promise<SignatureJob[]> {
		const jobs: SignatureJob[] = [];
		const signatures = new SignatureChecks(
			new SignatureThreads(1, job => {
				jobs.push(job);
				return checkOnThreadPool(job);
			})
		);
		for (let round = 0; round < rounds; round++) expect((await Promise.all(checks(signatures))).every(valid => valid)).toBe(true);
		return jobs;
	}

	it("is the key itself where the algorithm needs no options", async () => {
		for (const alg of ["RS256", "EdDSA"] as const) {
			const { key, token } = setup(alg);
			const jobs = await jobsOf(signatures => [signatures.isValid(parsed(token) as ParsedToken, alg, key)]);
			expect(jobs[0]?.key).toBe(key.key);
		}
	});

	it("is one object per key and algorithm, made once, so a batch to the threads carries it once", async () => {
		const { signing, key } = setup("PS256");
		const first = parsed(signJwt(signing, { iss: "x" })) as ParsedToken;
		const second = parsed(signJwt(signing, { iss: "y" })) as ParsedToken;
		const other = setup("PS256");
		const jobs = await jobsOf(
			signatures => [signatures.isValid(first, "PS256", key), signatures.isValid(second, "PS256", key), signatures.isValid(parsed(other.token) as ParsedToken, "PS256", other.key)],
			2
		);
		// One object for the first key across both rounds, another for the other key.
		const keys = jobs.map(job => job.key);
		expect(new Set(keys).size).toBe(2);
		expect(keys.filter(input => input === keys[0])).toHaveLength(4);
		expect(keys[0]).toMatchObject({ key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING });
	});

});
