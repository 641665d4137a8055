/**
 * The composition root of the core: one key store per trusted issuer, the verifier over them,
 * the caching layer around it and the revocation list after it, built once from the parsed
 * configuration. Everything that keeps state for verification belongs to one Authenticator.
 */
import { bearerToken } from "./policy/bearer";
import type { AuthConfig } from "./policy/config";
import { IssuerKeyStore, type KeyStoreEvents, type RefreshReport } from "./keys/key-store";
import { reject } from "./policy/reasons";
import { RevocationList } from "./revocation/revocations";
import { checkOnEventLoop, checkOnThreadPool, SignatureChecks } from "./signatures/signature";
import { SignatureThreads, type SignatureJob, type SignatureThreadEvents } from "./signatures/signature-threads";
import { CachedVerifier } from "./cache/cached-verifier";
import { DEFAULT_TOKEN_CACHE_SIZE, TokenCache, type TokenCacheEvents } from "./cache/token-cache";
import { isPending, Verifier, type Verdict, type VerifiedToken } from "./jws/verifier";

export interface Readiness {
	readonly ready: boolean;
	readonly issuersWithoutKeys: readonly string[];
}

export interface AuthenticatorOptions {
	readonly events?: KeyStoreEvents & TokenCacheEvents & SignatureThreadEvents;
	readonly now?: () => number;
	/** Entries of the verified-token cache; 0 turns it off. */
	readonly tokenCacheSize?: number;
}

export class Authenticator {
	readonly stores: ReadonlyMap<string, IssuerKeyStore>;
	/** Null when signatures are checked on node:crypto's thread pool (JWT_VERIFY_THREADS=0). */
	readonly signatureThreads: SignatureThreads | null;
	/** Checked after verification, so cached and remembered tokens are refused too (revocations.ts). */
	readonly revocations: RevocationList;
	/** The caching layer around the verifier; the verifier alone when the cache is off. */
	private readonly verifier: CachedVerifier | Verifier;

	constructor(
		config: AuthConfig,
		options: AuthenticatorOptions = {}
	) {
		const storeOptions = { ...config.jwks, events: options.events, now: options.now };
		// Each issuer's store only screens in keys for that issuer's own algorithms.
		const trusted = new Map(
			config.issuers.map(issuer => {
				const store = new IssuerKeyStore(issuer, { ...storeOptions, algorithms: issuer.rules.algorithms });
				return [issuer.issuer, { store, rules: issuer.rules, algorithms: new Set<string>(issuer.rules.algorithms) }];
			})
		);
		this.stores = new Map([...trusted].map(([issuer, entry]) => [issuer, entry.store]));
		const clockTolerance = Math.max(...config.issuers.map(issuer => issuer.rules.clockTolerance), config.clockTolerance);
		this.revocations = new RevocationList({ ...config.revocation, clockTolerance, now: options.now });
		const events = options.events ?? {};
		// The threads' fallback, while none is running, is node:crypto's thread pool: counted as such.
		const onThreadPool = (job: SignatureJob): Promise<boolean> => {
			events.checkedOnThreadPool?.();
			return checkOnThreadPool(job);
		};
		this.signatureThreads = config.verifyThreads > 0 ? new SignatureThreads(config.verifyThreads, onThreadPool, events, checkOnEventLoop) : null;
		const verifier = new Verifier(trusted, new SignatureChecks(this.signatureThreads ?? undefined, events), options.now);
		this.verifier =
			options.tokenCacheSize === 0
				? verifier
				: new CachedVerifier(verifier, trusted, new TokenCache(options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE, options.events, options.now), options.now);
	}

	start(): void {
		this.signatureThreads?.start();
		for (const store of this.stores.values()) store.start();
	}

	async stop(): Promise<void> {
		for (const store of this.stores.values()) store.stop();
		await this.signatureThreads?.stop();
	}

	/** The verdict on a bare token (the broker's verify action, zero-trust service nodes). */
	async verify(token: string): Promise<Verdict> {
		return this.screened(await this.verifier.verify(token), true);
	}

	/**
	 * The gateway's hot path: the verdict on a request's Authorization header, null when it
	 * carries no Bearer token. Synchronous for a token verified before; `connection` (the
	 * request's socket) lets a keep-alive client's unchanged header be recognised as a whole.
	 */
	authenticate(authorization: string | undefined, connection?: object): Verdict | Promise<Verdict> | null {
		if (authorization === undefined) return null;
		const recalled = connection === undefined ? undefined : this.recall(connection, authorization);
		if (recalled !== undefined) return this.revocations.count === 0 ? recalled : this.screened(recalled, false);
		const token = bearerToken(authorization);
		if (token === null) return null;
		const verdict = this.verifier.verify(token, connection, authorization);
		// Pending: verified in full now, so its lifetime is news. Settled: a cache hit, or a failure.
		if (isPending(verdict)) return verdict.then(settled => this.screened(settled, true));
		return this.revocations.count === 0 ? verdict : this.screened(verdict, false);
	}

	/** A verified token that matches a revocation is refused, wherever its verdict came from. */
	private screened(verdict: Verdict, verifiedNow: boolean): Verdict {
		if (!verdict.ok) return verdict;
		if (verifiedNow) this.revocations.observe(verdict.claims);
		return this.revocations.count !== 0 && this.revocations.matches(verdict.claims) ? reject("revoked") : verdict;
	}

	private recall(connection: object, authorization: string): VerifiedToken | undefined {
		return this.verifier instanceof CachedVerifier ? this.verifier.recall(connection, authorization) : undefined;
	}

	readiness(): Readiness {
		const issuersWithoutKeys = [...this.stores.values()].filter(store => !store.hasUsableKeys()).map(store => store.issuer);
		return { ready: issuersWithoutKeys.length === 0, issuersWithoutKeys };
	}

	/** Refetch now, bypassing the cooldown: one issuer, or all when none is named. */
	async refreshKeys(issuer?: string): Promise<RefreshReport[]> {
		const stores = issuer === undefined ? [...this.stores.values()] : [this.stores.get(issuer)].filter(s => s !== undefined);
		return Promise.all(stores.map(store => store.refreshNow()));
	}
}
