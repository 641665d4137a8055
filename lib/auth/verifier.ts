/**
 * Token -> verified claims, or the one reason it fails. The order is the security argument:
 * size and structure first, then the allow-listed algorithm, the trusted issuer (which picks
 * the key store, so an untrusted `iss` never causes a fetch), the key, the signature, and
 * only then the claims.
 */
import type { JwsAlgorithm } from "./algorithms";
import { checkClaims, type ClaimRules } from "./claims";
import type { IssuerKeyStore } from "./key-store";
import { reject, type Rejection } from "./reasons";
import { signatureIsValid } from "./signature";
import { parseToken, type JsonObject, type JwsHeader, type ParsedToken } from "./token";
import { TokenCache } from "./token-cache";

export interface VerifiedToken {
	readonly ok: true;
	readonly claims: JsonObject;
	readonly header: JwsHeader;
	readonly issuer: string;
	readonly kid: string | null;
	readonly alg: JwsAlgorithm;
}

export type Verdict = VerifiedToken | Rejection;

export interface VerifierOptions extends ClaimRules {
	readonly algorithms: readonly JwsAlgorithm[];
	readonly now?: () => number;
	/** Verified-token cache; none when absent. */
	readonly cache?: TokenCache;
}

/** Claims are parsed JSON: plain objects, arrays and primitives, so a direct copy is exact. */
function copyJson<T>(value: T): T {
	if (typeof value !== "object" || value === null) return value;
	if (Array.isArray(value)) return value.map(copyJson) as T;
	const copy: Record<string, unknown> = {};
	for (const key of Object.keys(value)) copy[key] = copyJson((value as Record<string, unknown>)[key]);
	return copy as T;
}

/**
 * Each caller gets its own copy of the claims: a service may change ctx.meta.user, and the
 * cached original must stay as verified. (A hand-written copy: structuredClone costs several
 * microseconds per request, more than the rest of a cache hit.)
 */
function handOut(verified: VerifiedToken): VerifiedToken {
	return { ...verified, claims: copyJson(verified.claims) };
}

export class Verifier {
	private readonly allowed: ReadonlySet<string>;
	private readonly now: () => number;

	constructor(
		private readonly stores: ReadonlyMap<string, IssuerKeyStore>,
		private readonly options: VerifierOptions
	) {
		this.allowed = new Set(options.algorithms);
		this.now = options.now ?? Date.now;
	}

	async verify(token: string): Promise<Verdict> {
		return this.check(token);
	}

	/**
	 * The verdict now when the token was verified before (a cache hit costs the gateway no
	 * promise), a promise of it otherwise.
	 */
	check(token: string): Verdict | Promise<Verdict> {
		if (this.options.cache === undefined) return this.verifyFully(token);
		const hash = TokenCache.keyOf(token);
		return this.cachedVerdict(this.options.cache, hash) ?? this.verifyFully(token, hash);
	}

	private cachedVerdict(cache: TokenCache, hash: string): Verdict | undefined {
		const hit = cache.get(hash);
		if (hit === undefined || !this.stores.get(hit.verified.issuer)?.stillTrusts(hit.key)) return undefined;
		// Signature and key are settled; time moves on, so the claim rules run again.
		const { header, claims } = hit.verified;
		const problem = checkClaims(header, claims, this.options, this.now() / 1000);
		if (problem) cache.delete(hash);
		return problem ?? handOut(hit.verified);
	}

	private async verifyFully(token: string, cacheKey?: string): Promise<Verdict> {
		const parsed = parseToken(token);
		if (!parsed.ok) return parsed;
		const verdict = await this.verifyParsed(parsed, cacheKey);
		if (verdict.ok) return verdict;
		// Unverified, so only for logs: what the token claims to be.
		const { iss } = parsed.payload;
		return { ...verdict, claimedIssuer: typeof iss === "string" ? iss : undefined, claimedKid: parsed.header.kid };
	}

	private async verifyParsed(parsed: ParsedToken, cacheKey?: string): Promise<Verdict> {
		const { header, payload } = parsed;
		if (!this.allowed.has(header.alg)) return reject("algorithm_not_allowed");
		const alg = header.alg as JwsAlgorithm;

		const iss = payload.iss;
		if (iss === undefined) return reject("missing_claim", "The token has no iss claim");
		if (typeof iss !== "string") return reject("invalid_claim", "The iss claim must be a string");
		const store = this.stores.get(iss);
		if (store === undefined) return reject("issuer_mismatch");

		const lookup = await store.lookup(header.kid, alg);
		if (!lookup.ok) return lookup;
		if (!(await signatureIsValid(parsed, alg, lookup.key))) return reject("bad_signature");

		const problem: Rejection | null = checkClaims(header, payload, this.options, this.now() / 1000);
		if (problem) return problem;
		const verified: VerifiedToken = { ok: true, claims: payload, header, issuer: iss, kid: header.kid ?? null, alg };
		if (cacheKey !== undefined) this.options.cache?.set(cacheKey, { verified, key: lookup.key });
		return handOut(verified);
	}
}
