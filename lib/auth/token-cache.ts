/**
 * Verified tokens, so a token seen again skips the signature step. Only successes are kept,
 * keyed by a hash of the token (never the token itself), for no longer than the token's
 * `exp`. An entry holds the very key that verified it: when that key leaves the key set the
 * entry no longer counts (the gap of fast-jwt #5), and the claim rules still run on every hit.
 */
import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { VerificationKey } from "./key-set";
import type { VerifiedToken } from "./verifier";

export interface CachedVerification {
	readonly verified: VerifiedToken;
	readonly key: VerificationKey;
}

export const DEFAULT_TOKEN_CACHE_SIZE = 20_000;
/** Re-verify at least this often even for long-lived tokens. */
const MAX_ENTRY_TTL_MS = 10 * 60_000;

export interface TokenCacheEvents {
	hit?(): void;
	miss?(): void;
}

export class TokenCache {
	private readonly entries: LRUCache<string, CachedVerification>;

	constructor(
		max = DEFAULT_TOKEN_CACHE_SIZE,
		private readonly events: TokenCacheEvents = {},
		private readonly now: () => number = Date.now
	) {
		this.entries = new LRUCache<string, CachedVerification>({ max, ttlAutopurge: false });
	}

	static keyOf(token: string): string {
		return hash("sha256", token, "base64url");
	}

	get(hash: string): CachedVerification | undefined {
		const entry = this.entries.get(hash);
		if (entry) this.events.hit?.();
		else this.events.miss?.();
		return entry;
	}

	set(hash: string, entry: CachedVerification): void {
		const exp = entry.verified.claims.exp as number;
		const ttl = Math.min(exp * 1000 - this.now(), MAX_ENTRY_TTL_MS);
		if (ttl > 0) this.entries.set(hash, entry, { ttl });
	}

	delete(hash: string): void {
		this.entries.delete(hash);
	}

	get size(): number {
		return this.entries.size;
	}
}
