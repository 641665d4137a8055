/**
 * The set-up of the cache's specs: a real issuer with two keys and an Authenticator on a clock
 * the test moves, its hit and miss events counted and TokenCache.keyOf watched. The cache admits
 * a token on its second check in a while (the admission filter), so every case checks its token
 * twice before it relies on the cache, and asserts the hit (the hit count, or no hash) before
 * the behaviour it is about: `cached` does both.
 */
import { Authenticator } from "../../../lib/auth/authenticator";
import { TokenCache } from "../../../lib/auth/cache/token-cache";
import type { Env } from "../../../lib/auth/policy/config";
import { parseAuthConfig } from "../../../lib/auth/policy/env";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";

export interface CacheHarness {
	issuer: KeyServer;
	auth: Authenticator;
	/** Epoch ms of the Authenticator's clock. */
	now: number;
	readonly counts: { hit: number; miss: number };
	hashes: jest.SpyInstance;
	/** Replaces the Authenticator by one configured with `env` too. */
	startAuthenticator(env?: Env): Promise<void>;
	/** Checks `token` until it is a cache hit, and asserts that hit. */
	cached(token: string, check?: (token: string) => unknown): Promise<void>;
}

/** Call inside a describe: its beforeEach and afterEach start and stop what the harness holds. */
export function cacheHarness(): CacheHarness {
	const c = {
		counts: { hit: 0, miss: 0 },
		async startAuthenticator(env: Env = {}): Promise<void> {
			await c.auth?.stop();
			c.auth = new Authenticator(parseAuthConfig({ JWT_ISSUER: c.issuer.issuer, JWKS_COOLDOWN: "0", ...env }), {
				now: () => c.now,
				events: { hit: () => c.counts.hit++, miss: () => c.counts.miss++ }
			});
			c.auth.start();
			await waitFor(() => c.auth.readiness().ready);
		},
		async cached(token: string, check: (token: string) => unknown = t => c.auth.verify(t)): Promise<void> {
			await check(token);
			await check(token);
			const hits = c.counts.hit;
			expect(await check(token)).toMatchObject({ ok: true });
			expect(c.counts.hit).toBe(hits + 1);
		}
	} as CacheHarness;

	beforeEach(async () => {
		c.issuer = await new KeyServer().start();
		c.issuer.addKey("EdDSA", "a");
		c.issuer.addKey("RS256", "b");
		c.now = Date.now();
		c.counts.hit = c.counts.miss = 0;
		await c.startAuthenticator();
		c.hashes = jest.spyOn(TokenCache, "keyOf");
	});

	afterEach(async () => {
		c.hashes.mockRestore();
		await c.auth.stop();
		await c.issuer.stop();
	});

	return c;
}
