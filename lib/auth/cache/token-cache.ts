/**
 * Verified tokens, so a token seen again skips the signature step. Only successes are kept,
 * keyed by a hash of the token (never the token itself), for no longer than the token's
 * `exp`, and only from a token's second check in a while on (`seenLately`). An entry holds
 * the very key that verified it: when that key leaves the key set the entry no longer counts
 * (a cache keyed by the token alone would go on vouching for tokens of a withdrawn key), and
 * the time rules still run on every hit (cached-verifier.ts).
 *
 * In front of the hash, each connection remembers the credentials last verified on it. A
 * keep-alive client sends the same Authorization header request after request; recognising it
 * by string equality skips parsing it and the SHA-256, the largest costs left in a cache hit. That holds one token per open connection, for as long as the
 * connection lives (the socket is a weak key), like the connection's own buffers.
 */
import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { VerifiedToken } from "../jws/verifier";
import type { TokenTimes } from "../jws/claims";
import { RecentTokens } from "./recent-tokens";

export interface CachedVerification {
	/** Its `key` must still be trusted for the entry to count. */
	readonly verified: VerifiedToken;
	/** The clock-dependent claims, for re-checking a remembered token without re-reading its claims. */
	readonly times: TokenTimes;
	/** Epoch ms of the signature check. */
	readonly verifiedAt: number;
}

interface Remembered {
	/** What the client sent: the token, or the whole Authorization header. */
	readonly presented: string;
	readonly entry: CachedVerification;
	/** Epoch ms from which the token is verified again, as its entry in the LRU would be. */
	readonly until: number;
}

export const DEFAULT_TOKEN_CACHE_SIZE = 20_000;
/** Re-verify at least this often even for long-lived tokens. */
const MAX_ENTRY_TTL_MS = 10 * 60_000;

export interface TokenCacheEvents {
	hit?(): void;
	miss?(): void;
}

/** Epoch ms until which an entry counts: the token's exp, and at most MAX_ENTRY_TTL_MS after its signature was checked. */
function deadlineOf(entry: CachedVerification): number {
	return Math.min(entry.times.exp * 1000, entry.verifiedAt + MAX_ENTRY_TTL_MS);
}

export class TokenCache {
	private readonly entries: LRUCache<string, CachedVerification>;
	private readonly lastOnConnection = new WeakMap<object, Remembered>();
	private readonly recent: RecentTokens;

	constructor(
		max = DEFAULT_TOKEN_CACHE_SIZE,
		private readonly events: TokenCacheEvents = {},
		private readonly now: () => number = Date.now
	) {
		// No TTL of lru-cache's own: its timestamps cost every get and set. Each entry carries
		// its deadline (deadlineOf), checked on every get; an expired one goes then, or on eviction.
		this.entries = new LRUCache<string, CachedVerification>({ max });
		this.recent = new RecentTokens(max);
	}

	static keyOf(token: string): string {
		return hash("sha256", token, "base64url");
	}

	/**
	 * The entry, when it is within its deadline and `stillValid` at `now` (its key still trusted). An
	 * entry that fails either is a miss: the token is verified in full again.
	 */
	get(hash: string, stillValid: (entry: CachedVerification, now: number) => boolean): CachedVerification | undefined {
		const entry = this.entries.get(hash);
		if (entry !== undefined) {
			const now = this.now();
			if (now < deadlineOf(entry) && stillValid(entry, now)) {
				this.events.hit?.();
				return entry;
			}
			this.entries.delete(hash);
		}
		this.events.miss?.();
		return undefined;
	}

	/**
	 * Whether `token` was checked lately (recent-tokens.ts), asked before it is hashed: one
	 * that was not is neither looked up nor cached, on its connection either. That counts as
	 * a miss.
	 */
	seenLately(token: string): boolean {
		if (this.recent.seenBefore(token)) return true;
		this.events.miss?.();
		return false;
	}

	set(hash: string, entry: CachedVerification): void {
		if (deadlineOf(entry) > this.now()) this.entries.set(hash, entry);
	}

	/**
	 * The entry last verified on `connection`, when `presented` is what was presented then and
	 * it is `stillValid` at `now` (epoch ms). Only that counts (a hit): otherwise the caller goes on to `get`,
	 * which counts the lookup once.
	 */
	recall(connection: object, presented: string, stillValid: (entry: CachedVerification, now: number) => boolean): CachedVerification | undefined {
		const last = this.lastOnConnection.get(connection);
		if (last === undefined || last.presented !== presented) return undefined;
		// One clock reading for both checks: ~45 ns each on these VMs, a tenth of a recall.
		const now = this.now();
		if (now >= last.until || !stillValid(last.entry, now)) {
			this.lastOnConnection.delete(connection);
			return undefined;
		}
		this.events.hit?.();
		return last.entry;
	}

	/** The token in `presented` was just verified (or found in the LRU) on `connection`. */
	remember(connection: object, presented: string, entry: CachedVerification): void {
		const until = deadlineOf(entry);
		if (until > this.now()) this.lastOnConnection.set(connection, { presented, entry, until });
	}

	delete(hash: string): void {
		this.entries.delete(hash);
	}
}
