/**
 * Token -> verified claims, or the one reason it fails. The order is the security argument:
 * size and structure first, then the allow-listed algorithm, the trusted issuer (which picks
 * the key store, so an untrusted `iss` never causes a fetch), the key, the signature, and
 * only then the claims.
 */
import type { JwsAlgorithm } from "./algorithms";
import { checkClaims, checkTimes, tokenTimes, type ClaimRules } from "./claims";
import type { VerificationKey } from "../keys/key-set";
import type { IssuerKeyStore, KeyLookup } from "../keys/key-store";
import { reject, type Rejection } from "../policy/reasons";
import { signatureIsValid } from "../signatures/signature";
import type { SignatureThreads } from "../signatures/signature-threads";
import { parseToken, type JsonObject, type JwsHeader, type ParsedToken } from "./token";
import { TokenCache, type CachedVerification } from "../cache/token-cache";

export interface VerifiedToken {
	readonly ok: true;
	readonly claims: JsonObject;
	readonly header: JwsHeader;
	readonly issuer: string;
	readonly kid: string | null;
	readonly alg: JwsAlgorithm;
}

export type Verdict = VerifiedToken | Rejection;

/** One trusted issuer: its key store and the rules its tokens are checked with. */
export interface TrustedIssuerEntry {
	readonly store: IssuerKeyStore;
	readonly rules: ClaimRules;
	readonly algorithms: ReadonlySet<string>;
}

export interface VerifierOptions {
	readonly now?: () => number;
	/** Verified-token cache; none when absent. */
	readonly cache?: TokenCache;
	/** Where signatures are checked; node:crypto's thread pool when absent. */
	readonly signatures?: SignatureThreads;
}

/**
 * Claims are parsed JSON: plain objects, arrays and primitives, so a direct copy is exact. The
 * spread copies a flat object in one step and defines each property, so an own `__proto__`
 * claim stays a plain property of the copy (an assignment would set the copy's prototype);
 * only nested values are then walked, and the own property shadows the setter. The walk keeps
 * its own stack: a token under 8 KiB can nest thousands of levels, and a recursive copy ran out
 * of call stack at 2,700 (found by verifier.property.spec.ts).
 */
function copyJson<T>(value: T): T {
	if (typeof value !== "object" || value === null) return value;
	const root = shallowCopy(value as object);
	const unwalked: Record<string, unknown>[] = [root];
	for (let copy = unwalked.pop(); copy !== undefined; copy = unwalked.pop()) {
		for (const name in copy) {
			const inner = copy[name];
			if (typeof inner !== "object" || inner === null) continue;
			const innerCopy = shallowCopy(inner);
			copy[name] = innerCopy;
			unwalked.push(innerCopy);
		}
	}
	return root as T;
}

/** An array's elements are walked by index like an object's properties (for-in gives both). */
function shallowCopy(value: object): Record<string, unknown> {
	return (Array.isArray(value) ? value.slice() : { ...(value as Record<string, unknown>) }) as Record<string, unknown>;
}

/**
 * Each caller gets its own copy of the claims: a service may change ctx.meta.user, and the
 * cached original must stay as verified. (A hand-written copy: structuredClone costs several
 * microseconds per request, more than the rest of a cache hit.)
 */
function handOut(verified: VerifiedToken): VerifiedToken {
	return { ...verified, claims: copyJson(verified.claims) };
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

/** Where a token verified now goes in the cache. */
interface CacheSlot {
	readonly hash: string;
	/** What the client sent, for the connection's memo. */
	readonly presented: string;
	readonly connection: object | undefined;
}

export class Verifier {
	/** Every issuer's algorithms: an algorithm no issuer allows is refused before `iss` is read. */
	private readonly allowed: ReadonlySet<string>;
	private readonly now: () => number;

	constructor(
		private readonly issuers: ReadonlyMap<string, TrustedIssuerEntry>,
		private readonly options: VerifierOptions
	) {
		this.allowed = new Set([...issuers.values()].flatMap(trusted => [...trusted.algorithms]));
		this.now = options.now ?? Date.now;
	}

	get cacheSize(): number {
		return this.options.cache?.size ?? 0;
	}

	async verify(token: string): Promise<Verdict> {
		return this.check(token);
	}

	/**
	 * The verdict now when the token was verified before (a cache hit costs the gateway no
	 * promise), a promise of it otherwise. A token not checked lately is verified in full
	 * without being hashed or looked up. `connection` (the request's socket) and `presented`
	 * (what the client sent, by default the token) let the next request on that connection
	 * carrying the same credentials be recognised by `recall`.
	 */
	check(token: string, connection?: object, presented: string = token): Verdict | Promise<Verdict> {
		const cache = this.options.cache;
		if (cache === undefined || !cache.seenLately(token)) return this.verifyFully(token);
		const hash = TokenCache.keyOf(token);
		const hit = cache.get(hash, this.trustsEntry);
		if (hit === undefined) return this.verifyFully(token, { hash, presented, connection });
		const trusted = this.issuers.get(hit.verified.issuer) as TrustedIssuerEntry;
		// Signature and key are settled; time moves on, so the claim rules run again.
		const problem = checkClaims(hit.verified.header, hit.verified.claims, trusted.rules, this.now() / 1000);
		if (problem) {
			cache.delete(hash);
			return problem;
		}
		if (connection !== undefined) cache.remember(connection, presented, hit);
		return handOut(hit.verified);
	}

	/**
	 * The verdict for credentials the client presented on this connection last time, when they
	 * are the same string and still hold: no parsing, no hash. Undefined otherwise: use `check`.
	 */
	recall(connection: object, presented: string): VerifiedToken | undefined {
		// The rest of the claim rules depend on the token alone, and it is the same token.
		const recalled = this.options.cache?.recall(connection, presented, this.stillHolds);
		return recalled === undefined ? undefined : handOut(recalled.verified);
	}

	/** The key that verified a cached token is still in its issuer's key set. */
	private readonly trustsEntry = (entry: CachedVerification): boolean => this.issuers.get(entry.verified.issuer)?.store.stillTrusts(entry.key) === true;

	/** A remembered verification still holds: its key is trusted and its times are still good under its issuer's rules. */
	private readonly stillHolds = (entry: CachedVerification): boolean => {
		const trusted = this.issuers.get(entry.verified.issuer);
		return trusted?.store.stillTrusts(entry.key) === true && checkTimes(entry.times, trusted.rules, this.now() / 1000) === null;
	};

	/** Full verification of a token not verified before: a promise unless it fails before the signature step. */
	private verifyFully(token: string, slot?: CacheSlot): Verdict | Promise<Verdict> {
		const parsed = parseToken(token);
		if (!parsed.ok) return parsed;
		const verdict = this.verifyParsed(parsed, slot);
		return isPending(verdict) ? verdict.then(settled => described(settled, parsed)) : described(verdict, parsed);
	}

	private verifyParsed(parsed: ParsedToken, slot?: CacheSlot): Verdict | Promise<Verdict> {
		const { header, payload } = parsed;
		if (!this.allowed.has(header.alg)) return reject("algorithm_not_allowed");
		const alg = header.alg as JwsAlgorithm;

		const iss = payload.iss;
		if (iss === undefined) return reject("missing_claim", "The token has no iss claim");
		if (typeof iss !== "string") return reject("invalid_claim", "The iss claim must be a string");
		const trusted = this.issuers.get(iss);
		if (trusted === undefined) return reject("issuer_mismatch");
		if (!trusted.algorithms.has(alg)) return reject("algorithm_not_allowed");

		const lookup = trusted.store.lookup(header.kid, alg);
		if (isPending(lookup)) return lookup.then(found => this.verifySignature(parsed, alg, iss, trusted.rules, found, slot));
		return this.verifySignature(parsed, alg, iss, trusted.rules, lookup, slot);
	}

	private verifySignature(parsed: ParsedToken, alg: JwsAlgorithm, iss: string, rules: ClaimRules, lookup: KeyLookup, slot?: CacheSlot): Verdict | Promise<Verdict> {
		if (!lookup.ok) return lookup;
		return signatureIsValid(parsed, alg, lookup.key, this.options.signatures).then(valid =>
			valid ? this.accept(parsed, alg, iss, rules, lookup.key, slot) : reject("bad_signature")
		);
	}

	/**
	 * The signature holds: the claim rules decide. A success is cached when it has a slot (the
	 * token was seen lately), and the caller gets a copy of the claims; otherwise the claims,
	 * parsed for this call alone, are the caller's as they are.
	 */
	private accept(parsed: ParsedToken, alg: JwsAlgorithm, iss: string, rules: ClaimRules, key: VerificationKey, slot?: CacheSlot): Verdict {
		const { header, payload } = parsed;
		const problem: Rejection | null = checkClaims(header, payload, rules, this.now() / 1000);
		if (problem) return problem;
		const verified: VerifiedToken = { ok: true, claims: payload, header, issuer: iss, kid: header.kid ?? null, alg };
		const cache = this.options.cache;
		if (cache === undefined || slot === undefined) return verified;
		const entry: CachedVerification = { verified, key, times: tokenTimes(payload), verifiedAt: this.now() };
		cache.set(slot.hash, entry);
		if (slot.connection !== undefined) cache.remember(slot.connection, slot.presented, entry);
		return handOut(verified);
	}
}
