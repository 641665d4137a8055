/**
 * The keys of one issuer over time: discovery, background refresh before the set goes stale,
 * one refetch per cooldown for unknown kids, one fetch in flight at a time, stale-if-error
 * within a bound, and readiness. It never knows about HTTP requests or Moleculer.
 */
import type { JwsAlgorithm } from "../jws/algorithms";
import type { IssuerConfig, JwksOptions } from "../policy/config";
import { discoverJwksUri } from "./discovery";
import { buildKeySet, fetchKeys, pickKey, type KeyPick, type KeySet, type VerificationKey } from "./key-set";
import { reject, type Rejection } from "../policy/reasons";

export type FetchCause = "startup" | "refresh" | "retry" | "unknown_kid" | "manual";

export interface KeyStoreEvents {
	fetchStarted?(issuer: string, cause: FetchCause): void;
	/** Every fetch attempt, with its outcome. */
	fetched?(issuer: string, cause: FetchCause, ok: boolean, error?: string): void;
	/** A key was used after its set's max age, while no fresh set could be had. */
	staleKeyUsed?(issuer: string): void;
	warning?(issuer: string, message: string): void;
}

export interface KeyStoreOptions extends JwksOptions {
	readonly algorithms: readonly JwsAlgorithm[];
	readonly now?: () => number;
	readonly events?: KeyStoreEvents;
}

export type KeyLookup = { readonly ok: true; readonly key: VerificationKey } | Rejection;

export interface RefreshReport {
	readonly issuer: string;
	readonly ok: boolean;
	readonly error?: string;
	readonly kids: readonly string[];
	readonly added: readonly string[];
	readonly removed: readonly string[];
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

function kidsOf(set: KeySet | null): string[] {
	return set ? set.keys.map(key => key.kid ?? "(no kid)") : [];
}

export class IssuerKeyStore {
	readonly issuer: string;
	/** From configuration; null: discovered again at every fetch attempt. */
	private readonly jwksUri: string | null;
	private keySet: KeySet | null = null;
	private lastAttemptAt = Number.NEGATIVE_INFINITY;
	private nextRetryAt = 0;
	private failures = 0;
	private lastError: string | null = null;
	private inflight: Promise<boolean> | null = null;
	private timer: NodeJS.Timeout | null = null;
	private stopped = false;
	private readonly now: () => number;
	private readonly events: KeyStoreEvents;

	constructor(
		config: IssuerConfig,
		private readonly options: KeyStoreOptions
	) {
		this.issuer = config.issuer;
		this.jwksUri = config.jwksUri;
		this.now = options.now ?? Date.now;
		this.events = options.events ?? {};
	}

	/** First fetch in the background: a down issuer must neither block nor crash the start. */
	start(): void {
		this.stopped = false;
		void this.refresh("startup");
	}

	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}

	/** Keys that may verify now: fresh, or stale within JWKS_STALE_MAX_AGE. */
	hasUsableKeys(): boolean {
		return this.usableSet() !== null;
	}

	/** Milliseconds since the current key set was fetched, or null before the first. */
	keySetAgeMs(): number | null {
		return this.keySet ? this.now() - this.keySet.fetchedAt : null;
	}

	/** Seconds a client should wait before trying again when no key can be had. */
	private retryAfterSeconds(): number {
		return Math.max(1, Math.ceil((this.nextRetryAt - this.now()) / 1000));
	}

	/**
	 * The key for a token's kid and alg. Synchronous when the current set answers (the usual
	 * case: no promise on the request path), a promise when a fetch must be waited for.
	 */
	lookup(kid: string | undefined, alg: JwsAlgorithm): KeyLookup | Promise<KeyLookup> {
		const set = this.usableSet();
		if (set === null) return this.lookupAfterFetch(kid, alg);
		const pick = pickKey(set, kid, alg);
		return !pick.ok && pick.reason === "unknown_key" ? this.lookupAfterFetch(kid, alg) : this.found(set, pick);
	}

	private found(set: KeySet, pick: KeyPick): KeyLookup {
		if (!pick.ok) return pick;
		if (this.now() - set.fetchedAt > this.options.cacheMaxAge) this.events.staleKeyUsed?.(this.issuer);
		return { ok: true, key: pick.key };
	}

	private async lookupAfterFetch(kid: string | undefined, alg: JwsAlgorithm): Promise<KeyLookup> {
		let set = this.usableSet();
		if (set === null) {
			// Only share a fetch already under way: retries are paced by the backoff timer.
			if (this.inflight) await this.inflight;
			set = this.usableSet();
			if (set === null) return this.unavailable();
		}
		let pick = pickKey(set, kid, alg);
		if (!pick.ok && pick.reason === "unknown_key") {
			const cooled = this.now() - this.lastAttemptAt >= this.options.cooldown;
			// The kid may be in the set we could not fetch: 401 would make the client drop a
			// token that may be good, so it is 401 only when the last attempt succeeded.
			if (!this.inflight && !cooled) return this.lastError === null ? pick : this.unavailable();
			if (!(await this.refresh("unknown_kid"))) return this.unavailable();
			set = this.usableSet();
			if (set === null) return this.unavailable();
			pick = pickKey(set, kid, alg);
		}
		return this.found(set, pick);
	}

	/**
	 * Whether a key that verified a token earlier may still vouch for it: it is still in the
	 * current usable set (a key removed by a fetch stops at once; past the stale bound, none).
	 * `now` is a reading of this store's clock the caller has just taken: every keep-alive
	 * request asks this, and each reading costs about as much as the rest of the question.
	 */
	stillTrusts(key: VerificationKey, now: number = this.now()): boolean {
		const set = this.usableSet(now);
		if (set === null) return false;
		const current = key.kid === null ? set.keys.find(candidate => candidate === key) : set.byKid.get(key.kid);
		if (current !== key) return false;
		if (now - set.fetchedAt > this.options.cacheMaxAge) this.events.staleKeyUsed?.(this.issuer);
		return true;
	}

	/** Fetch now, whatever the cooldown (a compromised key must go at once). */
	async refreshNow(): Promise<RefreshReport> {
		const before = kidsOf(this.keySet);
		if (this.inflight) await this.inflight;
		const ok = await this.refresh("manual");
		const after = kidsOf(this.keySet);
		return {
			issuer: this.issuer,
			ok,
			...(ok ? {} : { error: this.lastError ?? "unknown error" }),
			kids: after,
			added: after.filter(kid => !before.includes(kid)),
			removed: before.filter(kid => !after.includes(kid))
		};
	}

	private usableSet(now: number = this.now()): KeySet | null {
		const set = this.keySet;
		return set && now - set.fetchedAt <= this.options.staleMaxAge ? set : null;
	}

	private unavailable(): Rejection {
		return { ...reject("jwks_unavailable"), retryAfter: this.retryAfterSeconds() };
	}

	/** Single flight: concurrent callers share the one fetch under way. Resolves to success. */
	private refresh(cause: FetchCause): Promise<boolean> {
		if (this.inflight) return this.inflight;
		this.lastAttemptAt = this.now();
		this.events.fetchStarted?.(this.issuer, cause);
		this.inflight = this.fetchOnce().then(
			set => {
				this.apply(set);
				this.events.fetched?.(this.issuer, cause, true);
				return true;
			},
			(err: Error) => {
				this.failed(err.message);
				this.events.fetched?.(this.issuer, cause, false, err.message);
				return false;
			}
		);
		void this.inflight.finally(() => {
			this.inflight = null;
		});
		return this.inflight;
	}

	/**
	 * Discovery runs at every attempt, never remembered: a discovery that failed, or answered
	 * 404 and sent us to `/.well-known/jwks.json`, is asked again next time, and an issuer that
	 * moves its `jwks_uri` is followed at the next refresh. It costs one small GET per fetch.
	 */
	private async fetchOnce(): Promise<KeySet> {
		// One deadline for discovery and key set together: a request waiting on this fetch
		// waits at most JWKS_TIMEOUT.
		const signal = AbortSignal.timeout(this.options.timeout);
		const jwksUri = this.jwksUri ?? (await discoverJwksUri(this.issuer, signal, this.options.requireHttps === true));
		const { keys, warnings } = await fetchKeys(jwksUri, signal, this.options.algorithms);
		for (const warning of warnings) this.events.warning?.(this.issuer, warning);
		return buildKeySet(keys, this.now(), this.keySet);
	}

	private apply(set: KeySet): void {
		this.keySet = set;
		this.failures = 0;
		this.lastError = null;
		this.nextRetryAt = 0;
		// Refresh well before the set goes stale, with jitter so replicas don't fetch in step.
		this.schedule("refresh", this.options.cacheMaxAge * (0.75 + Math.random() * 0.1));
	}

	private failed(message: string): void {
		this.failures += 1;
		this.lastError = message;
		const delay = Math.min(FIRST_RETRY_MS * 2 ** (this.failures - 1), MAX_RETRY_MS);
		this.nextRetryAt = this.now() + delay;
		this.schedule("retry", delay);
	}

	private schedule(cause: FetchCause, delay: number): void {
		if (this.stopped) return;
		if (this.timer) clearTimeout(this.timer);
		this.timer = setTimeout(() => {
			this.timer = null;
			void this.refresh(cause);
		}, delay);
		this.timer.unref();
	}
}
