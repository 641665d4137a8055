/**
 * Token -> verified claims, or the one reason it fails. The order is the security argument:
 * size and structure first, then the allow-listed algorithm, the trusted issuer (which picks
 * the key store, so an untrusted `iss` never causes a fetch), the key, the signature, and
 * only then the claims. Every token is verified in full here; what may be skipped for a token
 * verified before is the caching layer's business (cache/cached-verifier.ts).
 */
import type { JwsAlgorithm } from "./algorithms";
import { checkClaims, type ClaimRules } from "./claims";
import type { VerificationKey } from "../keys/key-set";
import type { IssuerKeyStore, KeyLookup } from "../keys/key-store";
import { reject, type Rejection } from "../policy/reasons";
import type { SignatureChecks } from "../signatures/signature";
import { KnownHeaders, parseToken, type JsonObject, type JwsHeader, type ParsedToken } from "./token";

export interface VerifiedToken {
	readonly ok: true;
	readonly claims: JsonObject;
	readonly header: JwsHeader;
	readonly issuer: string;
	readonly kid: string | null;
	readonly alg: JwsAlgorithm;
	/** The key that verified the signature: a verdict kept for later holds only while its issuer still trusts this key. */
	readonly key: VerificationKey;
}

export type Verdict = VerifiedToken | Rejection;

/** One trusted issuer: its key store and the rules its tokens are checked with. */
export interface TrustedIssuerEntry {
	readonly store: IssuerKeyStore;
	readonly rules: ClaimRules;
	readonly algorithms: ReadonlySet<string>;
}

/**
 * A verdict still to come. Not `instanceof Promise`: a promise from another realm (Jest's
 * sandbox, a vm context) fails that test, and a verdict never has a `then`.
 */
export function isPending<T extends object>(value: T | Promise<T>): value is Promise<T> {
	return typeof (value as { then?: unknown }).then === "function";
}

/** A failure, with what the (unverified) token claims to be, for logs only. */
function described(verdict: Verdict, parsed: ParsedToken): Verdict {
	if (verdict.ok) return verdict;
	const { iss } = parsed.payload;
	return { ...verdict, claimedIssuer: typeof iss === "string" ? iss : undefined, claimedKid: parsed.header.kid };
}

export class Verifier {
	/** Every issuer's algorithms: an algorithm no issuer allows is refused before `iss` is read. */
	private readonly allowed: ReadonlySet<string>;
	private readonly headers = new KnownHeaders();

	constructor(
		private readonly issuers: ReadonlyMap<string, TrustedIssuerEntry>,
		private readonly signatures: SignatureChecks,
		private readonly now: () => number = Date.now
	) {
		this.allowed = new Set([...issuers.values()].flatMap(trusted => [...trusted.algorithms]));
	}

	/**
	 * The verdict on `token`: settled when it fails before the signature step, a promise
	 * otherwise. The claims of a success were parsed for this call alone: they are the caller's.
	 */
	verify(token: string): Verdict | Promise<Verdict> {
		// 1. Size and structure (token.ts): nothing is trusted yet.
		const parsed = parseToken(token, this.headers);
		if (!parsed.ok) return parsed;
		const verdict = this.keyStep(parsed);
		return isPending(verdict) ? verdict.then(settled => described(settled, parsed)) : described(verdict, parsed);
	}

	/** Steps 2 to 4: what the signature is checked with, decided from the header and `iss` alone. */
	private keyStep(parsed: ParsedToken): Verdict | Promise<Verdict> {
		const { header, payload } = parsed;
		// 2. The algorithm, against every issuer's allow-list before `iss` is even read.
		if (!this.allowed.has(header.alg)) return reject("algorithm_not_allowed");
		const alg = header.alg as JwsAlgorithm;

		// 3. A trusted issuer, whose own algorithms must allow it too.
		const iss = payload.iss;
		if (iss === undefined) return reject("missing_claim", "The token has no iss claim");
		if (typeof iss !== "string") return reject("invalid_claim", "The iss claim must be a string");
		const trusted = this.issuers.get(iss);
		if (trusted === undefined) return reject("issuer_mismatch");
		if (!trusted.algorithms.has(alg)) return reject("algorithm_not_allowed");

		// 4. The key, from that issuer's store alone (a fetch only when the kid is unknown).
		const lookup = trusted.store.lookup(header.kid, alg);
		if (isPending(lookup)) return lookup.then(found => this.signatureStep(parsed, alg, iss, trusted.rules, found));
		return this.signatureStep(parsed, alg, iss, trusted.rules, lookup);
	}

	/** 5. The signature, with the key the issuer published for this kid and alg. */
	private signatureStep(parsed: ParsedToken, alg: JwsAlgorithm, iss: string, rules: ClaimRules, lookup: KeyLookup): Verdict | Promise<Verdict> {
		if (!lookup.ok) return lookup;
		return this.signatures.isValid(parsed, alg, lookup.key).then(valid => (valid ? this.claimsStep(parsed, alg, iss, rules, lookup.key) : reject("bad_signature")));
	}

	/** 6. The signature holds: only now are the claims read, and their rules decide. */
	private claimsStep(parsed: ParsedToken, alg: JwsAlgorithm, iss: string, rules: ClaimRules, key: VerificationKey): Verdict {
		const { header, payload } = parsed;
		const problem = checkClaims(header, payload, rules, this.now() / 1000);
		if (problem) return problem;
		return { ok: true, claims: payload, header, issuer: iss, kid: header.kid ?? null, alg, key };
	}
}
