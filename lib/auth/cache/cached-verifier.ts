/**
 * Speed around the security path, never inside it: a token verified lately skips the signature
 * step, and a keep-alive connection that presents the same credentials again skips parsing and
 * hashing them too. On a miss the verifier (jws/verifier.ts) decides, in full. On a hit only
 * what can have changed since is decided again: the time rules (the token's claims are the same
 * bytes, so every other rule gives the same answer) and whether the issuer still trusts the key
 * that verified it. A hit is answered synchronously, with no promise.
 */
import { checkTimes, tokenTimes } from "../jws/claims";
import { isPending, type TrustedIssuerEntry, type Verdict, type Verifier, type VerifiedToken } from "../jws/verifier";
import { handOut } from "./claims-copy";
import { TokenCache, type CachedVerification } from "./token-cache";

export class CachedVerifier {
	constructor(
		private readonly verifier: Verifier,
		private readonly issuers: ReadonlyMap<string, TrustedIssuerEntry>,
		private readonly cache: TokenCache,
		private readonly now: () => number = Date.now
	) {}

	/**
	 * The verdict on `token`: now when it was verified before, a promise of it otherwise. A
	 * token not checked lately (the admission filter) is verified in full without being hashed
	 * or looked up. `connection` (the request's socket) and `presented` (what the client sent,
	 * by default the token) let the next request on that connection carrying the same
	 * credentials be recognised by `recall`.
	 */
	verify(token: string, connection?: object, presented: string = token): Verdict | Promise<Verdict> {
		if (!this.cache.seenLately(token)) return this.verifier.verify(token);
		const hash = TokenCache.keyOf(token);
		const hit = this.cache.get(hash, this.keyStillTrusted);
		if (hit === undefined) {
			const verdict = this.verifier.verify(token);
			const keep = (settled: Verdict): Verdict => this.keep(hash, settled, connection, presented);
			return isPending(verdict) ? verdict.then(keep) : keep(verdict);
		}
		const problem = this.timeProblem(hit);
		if (problem) {
			this.cache.delete(hash);
			return problem;
		}
		if (connection !== undefined) this.cache.remember(connection, presented, hit);
		return handOut(hit.verified);
	}

	/**
	 * The verdict for credentials the client presented on this connection last time, when they
	 * are the same string and still hold: no parsing, no hash. Undefined otherwise: use `verify`.
	 */
	recall(connection: object, presented: string): VerifiedToken | undefined {
		const recalled = this.cache.recall(connection, presented, this.stillHolds);
		return recalled === undefined ? undefined : handOut(recalled.verified);
	}

	/** A success verified now is kept, and the caller gets a copy of its claims; a rejection is never kept. */
	private keep(hash: string, verdict: Verdict, connection: object | undefined, presented: string): Verdict {
		if (!verdict.ok) return verdict;
		const entry: CachedVerification = { verified: verdict, times: tokenTimes(verdict.claims), verifiedAt: this.now() };
		this.cache.set(hash, entry);
		if (connection !== undefined) this.cache.remember(connection, presented, entry);
		return handOut(verdict);
	}

	/** The key that verified a kept token is still in its issuer's usable key set at `now`, which the cache has just read. */
	private readonly keyStillTrusted = (entry: CachedVerification, now: number): boolean => this.issuers.get(entry.verified.issuer)?.store.stillTrusts(entry.verified.key, now) === true;

	/** The time rules of the token's issuer at `now` (epoch ms): expiry, not-before, issued-at and maximum age. */
	private timeProblem(entry: CachedVerification, now = this.now()): Verdict | null {
		const trusted = this.issuers.get(entry.verified.issuer) as TrustedIssuerEntry;
		return checkTimes(entry.times, trusted.rules, now / 1000);
	}

	/** Both of the above at `now`, which the cache has just read: the recall of every keep-alive request runs this. */
	private readonly stillHolds = (entry: CachedVerification, now: number): boolean => this.keyStillTrusted(entry, now) && this.timeProblem(entry, now) === null;
}
