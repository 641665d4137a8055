import { Authenticator } from "../../../lib/auth/authenticator";
import { parseAuthConfig, type Env } from "../../../lib/auth/policy/config";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";
import { TokenCache } from "../../../lib/auth/cache/token-cache";

/**
 * The cache admits a token on its second check in a while (the admission filter), so every
 * case below checks its token twice before it relies on the cache, and asserts the hit (the
 * hit count, or no hash) before the behaviour it is about.
 */
describe("the verified-token cache", () => {
	let issuer: KeyServer;
	let auth: Authenticator;
	let now: number;
	const counts = { hit: 0, miss: 0 };
	let hashes: jest.SpyInstance;

	async function startAuthenticator(env: Env = {}): Promise<void> {
		await auth?.stop();
		auth = new Authenticator(parseAuthConfig({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0", ...env }), {
			now: () => now,
			events: { hit: () => counts.hit++, miss: () => counts.miss++ }
		});
		auth.start();
		await waitFor(() => auth.readiness().ready);
	}

	beforeEach(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "a");
		issuer.addKey("RS256", "b");
		now = Date.now();
		counts.hit = counts.miss = 0;
		await startAuthenticator();
		hashes = jest.spyOn(TokenCache, "keyOf");
	});

	afterEach(async () => {
		hashes.mockRestore();
		await auth.stop();
		await issuer.stop();
	});

	/** Checks `token` until it is a cache hit, and asserts that hit. */
	async function cached(token: string, check: (token: string) => unknown = t => auth.verify(t)): Promise<void> {
		await check(token);
		await check(token);
		const hits = counts.hit;
		expect(await check(token)).toMatchObject({ ok: true });
		expect(counts.hit).toBe(hits + 1);
	}

	it("caches a token from its second verification on, each caller with its own copy of the claims", async () => {
		const token = issuer.mint(issuer.keys[0], { sub: "alice", now });
		// Verified in full twice: the first time the token is only noted, the second it is cached.
		const first = await auth.verify(token);
		const second = await auth.verify(token);
		expect(counts).toEqual({ hit: 0, miss: 2 });
		const third = await auth.verify(token);
		expect(counts).toEqual({ hit: 1, miss: 2 });
		expect(first.ok && second.ok && third.ok).toBe(true);
		if (!first.ok || !second.ok || !third.ok) return;
		expect(third.claims.sub).toBe("alice");
		second.claims.sub = "eve";
		third.claims.sub = "mallory";
		const fourth = await auth.verify(token);
		expect(fourth.ok && fourth.claims.sub).toBe("alice");
		expect(new Set([first.claims, second.claims, third.claims, fourth.ok ? fourth.claims : null]).size).toBe(4);
	});

	it("does not cache tokens used once: a stream of them leaves the cache empty", async () => {
		const tokens = Array.from({ length: 200 }, (_, i) => issuer.mint(issuer.keys[i % 2], { sub: `user-${i}`, now }));
		for (const token of tokens) expect((await auth.verify(token)).ok).toBe(true);
		// Not one was hashed, so not one was looked up or kept.
		expect(hashes).toHaveBeenCalledTimes(0);
		expect(counts).toEqual({ hit: 0, miss: 200 });
		// Each seen again is looked up (a miss) and kept: the next round is all hits.
		for (const token of tokens) await auth.verify(token);
		expect(hashes).toHaveBeenCalledTimes(200);
		for (const token of tokens) await auth.verify(token);
		expect(counts).toEqual({ hit: 200, miss: 400 });
	});

	it("copies claims named __proto__ as plain properties, on a miss and on each kind of hit", async () => {
		const claims = JSON.parse('{"__proto__": {"admin": true}, "roles": [{"__proto__": {"admin": true}}]}') as Record<string, unknown>;
		const token = issuer.mint(issuer.keys[0], { claims, now });
		const connection = {};
		const viaHeader = () => auth.authenticate(`Bearer ${token}`, connection);
		// A miss not looked up, a miss that is kept, a hit of the connection's memo (no hash), a hit of the LRU.
		const verdicts = [await viaHeader(), await viaHeader(), await viaHeader(), await auth.verify(token)];
		expect(counts).toEqual({ hit: 2, miss: 2 });
		expect(hashes).toHaveBeenCalledTimes(2);
		for (const verdict of verdicts) {
			expect(verdict?.ok).toBe(true);
			if (!verdict?.ok) return;
			const roles = verdict.claims.roles as Record<string, unknown>[];
			for (const copy of [verdict.claims, roles[0] as Record<string, unknown>]) {
				expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
				expect(copy.admin).toBeUndefined();
				expect(Object.getOwnPropertyDescriptor(copy, "__proto__")?.value).toEqual({ admin: true });
			}
		}
	});

	it("still applies exp: past it the entry no longer counts, and the full verification refuses", async () => {
		const token = issuer.mint(issuer.keys[0], { expiresIn: 60, now });
		await cached(token);
		now += 66_000;
		expect(await auth.verify(token)).toMatchObject({ ok: false, reason: "expired" });
		expect(counts.hit).toBe(1);
	});

	it("still applies JWT_MAX_TOKEN_AGE on a hit, before the entry's own deadline", async () => {
		await startAuthenticator({ JWT_MAX_TOKEN_AGE: "60" });
		const token = issuer.mint(issuer.keys[0], { expiresIn: 3600, now });
		await cached(token);
		now += 66_000;
		expect(await auth.verify(token)).toMatchObject({ ok: false, reason: "too_old" });
	});

	it("keeps an entry for at most ten minutes after its signature was checked, and no longer than exp", async () => {
		const longLived = issuer.mint(issuer.keys[0], { sub: "long", expiresIn: 3600, now });
		const shortLived = issuer.mint(issuer.keys[0], { sub: "short", expiresIn: 120, now });
		// Twice each, so both are cached.
		for (const token of [longLived, shortLived, longLived, shortLived]) await auth.verify(token);
		expect(counts).toEqual({ hit: 0, miss: 4 });
		now += 10 * 60_000 - 1;
		expect((await auth.verify(longLived)).ok).toBe(true);
		expect(counts).toEqual({ hit: 1, miss: 4 });
		now += 1;
		// Past ten minutes: verified again in full (a miss), and cached again from then (it was seen lately).
		expect((await auth.verify(longLived)).ok).toBe(true);
		expect((await auth.verify(longLived)).ok).toBe(true);
		expect(counts).toEqual({ hit: 2, miss: 5 });
		// Past exp (and the clock tolerance), the entry is no hit either: a miss, then the rejection.
		expect(await auth.verify(shortLived)).toMatchObject({ ok: false, reason: "expired" });
		expect(counts).toEqual({ hit: 2, miss: 6 });
	});

	it("drops a cached token at once when its key leaves the key set", async () => {
		const token = issuer.mint(issuer.keys[1], { now });
		await cached(token);
		issuer.removeKey("b");
		await auth.refreshKeys();
		expect(await auth.verify(token)).toMatchObject({ ok: false, reason: "unknown_key" });
		expect(counts.hit).toBe(1);
	});

	it("drops a cached token when its kid is re-keyed: the same kid with new key material vouches for nothing signed before", async () => {
		const token = issuer.mint(issuer.keys[0], { now });
		await cached(token);
		issuer.removeKey("a");
		issuer.addKey("EdDSA", "a");
		expect((await auth.refreshKeys())[0]).toMatchObject({ ok: true, kids: ["b", "a"] });
		expect(await auth.verify(token)).toMatchObject({ ok: false, reason: "bad_signature" });
		expect(counts.hit).toBe(1);
	});

	it("drops a cached token once its key set is older than JWKS_STALE_MAX_AGE and the issuer cannot be reached", async () => {
		await startAuthenticator({ JWKS_CACHE_MAX_AGE: "60000", JWKS_STALE_MAX_AGE: "120000" });
		const token = issuer.mint(issuer.keys[0], { expiresIn: 3600, now });
		await cached(token);
		issuer.mode = "down";
		// Still within the stale bound: the kept verification holds while the issuer is down.
		now += 90_000;
		expect((await auth.verify(token)).ok).toBe(true);
		expect(counts.hit).toBe(2);
		now += 40_000;
		expect(await auth.verify(token)).toMatchObject({ ok: false, reason: "jwks_unavailable" });
		expect(counts.hit).toBe(2);
	});

	it("never caches a rejection: looked up on each check after the first, never a hit", async () => {
		const token = issuer.mint(issuer.keys[0], { expiresIn: -60, now });
		for (let i = 0; i < 3; i++) expect(await auth.verify(token)).toMatchObject({ ok: false, reason: "expired" });
		expect(hashes).toHaveBeenCalledTimes(2);
		expect(counts).toEqual({ hit: 0, miss: 3 });
	});

	it("never takes another signature on a cached header and payload for the cached one", async () => {
		const token = issuer.mint(issuer.keys[0], { now });
		await cached(token);
		const forged = `${token.slice(0, -4)}AAAA`;
		// The second check of the forged token is looked up in the cache: the first is not even hashed.
		for (let i = 0; i < 2; i++) expect(await auth.verify(forged)).toMatchObject({ ok: false, reason: "bad_signature" });
		expect(hashes).toHaveBeenLastCalledWith(forged);
		expect(counts.hit).toBe(1);
	});

	describe("per connection, the token last verified on it", () => {
		// Stand-ins for two sockets: the memo only needs an object's identity.
		const socketA = {};
		const socketB = {};

		const check = (token: string, connection: object) => auth.authenticate(`Bearer ${token}`, connection) as Exclude<ReturnType<Authenticator["authenticate"]>, null>;
		const claimsOf = async (token: string, connection: object) => {
			const verdict = await check(token, connection);
			return verdict.ok ? verdict.claims : verdict;
		};

		it("is recognised as the same header, without hashing, each caller still with its own copy of the claims", async () => {
			const token = issuer.mint(issuer.keys[0], { sub: "alice", now });
			// Not even hashed the first time; cached (and remembered on the connection) from the second on.
			const first = await claimsOf(token, socketA);
			expect(hashes).toHaveBeenCalledTimes(0);
			await claimsOf(token, socketA);
			expect(hashes).toHaveBeenCalledTimes(1);
			const second = await claimsOf(token, socketA);
			expect(second).toMatchObject({ sub: "alice" });
			expect(hashes).toHaveBeenCalledTimes(1);
			expect(counts).toEqual({ hit: 1, miss: 2 });
			(second as { sub: string }).sub = "mallory";
			expect(await claimsOf(token, socketA)).toMatchObject({ sub: "alice" });
			expect(first).not.toBe(second);
		});

		it("is never another connection's or another token's", async () => {
			const alice = issuer.mint(issuer.keys[0], { sub: "alice", now });
			const bob = issuer.mint(issuer.keys[1], { sub: "bob", now });
			expect(await claimsOf(alice, socketA)).toMatchObject({ sub: "alice" });
			expect(await claimsOf(bob, socketA)).toMatchObject({ sub: "bob" });
			expect(await claimsOf(alice, socketA)).toMatchObject({ sub: "alice" });
			expect(await claimsOf(alice, socketB)).toMatchObject({ sub: "alice" });
			// No connection's last token was the one sent: alice's second and third checks went
			// through the hash (the first ones of each token were not seen lately).
			expect(hashes).toHaveBeenCalledTimes(2);
			// A forged signature on alice's header and payload, twice: the second check is looked up.
			const hits = counts.hit;
			const forged = `${alice.slice(0, -4)}AAAA`;
			for (let i = 0; i < 2; i++) expect(await check(forged, socketA)).toMatchObject({ ok: false, reason: "bad_signature" });
			expect(hashes).toHaveBeenLastCalledWith(forged);
			expect(counts.hit).toBe(hits);
		});

		/** Checks `token` on `connection` until the connection's memo answers (a hit without a hash), and asserts that. */
		async function remembered(token: string, connection: object): Promise<void> {
			await cached(token, t => check(t, connection));
			const hashed = hashes.mock.calls.length;
			expect((await check(token, connection)).ok).toBe(true);
			expect(hashes).toHaveBeenCalledTimes(hashed);
		}

		it("still meets exp", async () => {
			const token = issuer.mint(issuer.keys[0], { expiresIn: 60, now });
			await remembered(token, socketA);
			now += 66_000;
			expect(await check(token, socketA)).toMatchObject({ ok: false, reason: "expired" });
		});

		it("still meets JWT_MAX_TOKEN_AGE", async () => {
			await startAuthenticator({ JWT_MAX_TOKEN_AGE: "60" });
			const token = issuer.mint(issuer.keys[0], { expiresIn: 3600, now });
			await remembered(token, socketA);
			now += 66_000;
			expect(await check(token, socketA)).toMatchObject({ ok: false, reason: "too_old" });
		});

		it("no longer counts once its key leaves the key set", async () => {
			const token = issuer.mint(issuer.keys[1], { now });
			await remembered(token, socketA);
			const hits = counts.hit;
			issuer.removeKey("b");
			await auth.refreshKeys();
			expect(await check(token, socketA)).toMatchObject({ ok: false, reason: "unknown_key" });
			expect(counts.hit).toBe(hits);
		});

		it("no longer counts once its kid is re-keyed with new material", async () => {
			const token = issuer.mint(issuer.keys[0], { now });
			await remembered(token, socketA);
			issuer.removeKey("a");
			issuer.addKey("EdDSA", "a");
			await auth.refreshKeys();
			expect(await check(token, socketA)).toMatchObject({ ok: false, reason: "bad_signature" });
		});

		it("is looked up by hash again ten minutes after its signature was checked, like an entry of the cache", async () => {
			const token = issuer.mint(issuer.keys[0], { expiresIn: 3600, now });
			await check(token, socketA);
			await check(token, socketA);
			now += 9 * 60_000;
			await check(token, socketA);
			expect(hashes).toHaveBeenCalledTimes(1);
			now += 2 * 60_000;
			expect((await check(token, socketA)).ok).toBe(true);
			expect(hashes).toHaveBeenCalledTimes(2);
		});

		it("is the whole header: the same token under another spelling of the scheme goes through the hash", async () => {
			const token = issuer.mint(issuer.keys[0], { sub: "alice", now });
			expect(await claimsOf(token, socketA)).toMatchObject({ sub: "alice" });
			expect(await auth.authenticate(`bearer ${token}`, socketA)).toMatchObject({ ok: true });
			expect(hashes).toHaveBeenCalledTimes(1);
			expect(auth.authenticate("Basic abc", socketA)).toBeNull();
			expect(auth.authenticate(undefined, socketA)).toBeNull();
		});

		it("is not used without a connection (the broker's verify action)", async () => {
			const token = issuer.mint(issuer.keys[0], { now });
			await check(token, socketA);
			await auth.verify(token);
			expect(hashes).toHaveBeenCalledTimes(1);
		});
	});
});
