import { cacheHarness } from "./cache-harness";

/** Every case reaches the cache: it asserts the hit before the behaviour (cache-harness.ts). */
describe("the verified-token cache", () => {
	const c = cacheHarness();

	it("caches a token from its second verification on, each caller with its own copy of the claims", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { sub: "alice", now: c.now });
		// Verified in full twice: the first time the token is only noted, the second it is cached.
		const first = await c.auth.verify(token);
		const second = await c.auth.verify(token);
		expect(c.counts).toEqual({ hit: 0, miss: 2 });
		const third = await c.auth.verify(token);
		expect(c.counts).toEqual({ hit: 1, miss: 2 });
		expect(first.ok && second.ok && third.ok).toBe(true);
		if (!first.ok || !second.ok || !third.ok) return;
		expect(third.claims.sub).toBe("alice");
		second.claims.sub = "eve";
		third.claims.sub = "mallory";
		const fourth = await c.auth.verify(token);
		expect(fourth.ok && fourth.claims.sub).toBe("alice");
		expect(new Set([first.claims, second.claims, third.claims, fourth.ok ? fourth.claims : null]).size).toBe(4);
	});

	it("gives each caller its own copy of nested claims too: objects in arrays, arrays in arrays, arrays in objects", async () => {
		const nested = { groups: [{ name: "admins", ids: [1, 2] }], matrix: [[1], [2]], org: { units: ["a"] } };
		const token = c.issuer.mint(c.issuer.keys[0], { sub: "alice", now: c.now, claims: nested });
		await c.auth.verify(token);
		await c.auth.verify(token);
		const hit = await c.auth.verify(token);
		expect(c.counts).toEqual({ hit: 1, miss: 2 });
		if (!hit.ok) throw new Error(hit.reason);
		const claims = hit.claims as unknown as typeof nested;
		expect(claims).toMatchObject(nested);
		(claims.groups[0] as { name: string }).name = "eve";
		claims.groups[0]?.ids.push(3);
		claims.matrix[1]?.push(3);
		claims.org.units.push("b");
		const again = await c.auth.verify(token);
		expect(c.counts).toEqual({ hit: 2, miss: 2 });
		expect(again.ok && again.claims).toMatchObject(nested);
		expect(again.ok && (again.claims as unknown as typeof nested).groups[0]).toEqual({ name: "admins", ids: [1, 2] });
	});

	it("answers a hit at once, with a verdict and no promise, from the LRU and from the connection's memo", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { sub: "alice", now: c.now });
		const connection = {};
		const header = `Bearer ${token}`;
		// Not seen lately, then seen and verified in full: promises both times.
		for (let i = 0; i < 2; i++) {
			const verdict = c.auth.authenticate(header, connection);
			expect(verdict).toBeInstanceOf(Promise);
			await verdict;
		}
		const hashed = c.hashes.mock.calls.length;
		// The memo's hit (no hash), then the LRU's (another connection).
		expect(c.auth.authenticate(header, connection)).toMatchObject({ ok: true, claims: { sub: "alice" } });
		expect(c.hashes).toHaveBeenCalledTimes(hashed);
		const other = {};
		expect(c.auth.authenticate(header, other)).toMatchObject({ ok: true, claims: { sub: "alice" } });
		expect(c.hashes).toHaveBeenCalledTimes(hashed + 1);
		// The LRU's hit is remembered on that connection too.
		expect(c.auth.authenticate(header, other)).toMatchObject({ ok: true });
		expect(c.hashes).toHaveBeenCalledTimes(hashed + 1);
		expect(c.counts).toEqual({ hit: 3, miss: 2 });
	});

	it("does not cache tokens used once: a stream of them leaves the cache empty", async () => {
		const tokens = Array.from({ length: 200 }, (_, i) => c.issuer.mint(c.issuer.keys[i % 2], { sub: `user-${i}`, now: c.now }));
		for (const token of tokens) expect((await c.auth.verify(token)).ok).toBe(true);
		// Not one was hashed, so not one was looked up or kept.
		expect(c.hashes).toHaveBeenCalledTimes(0);
		expect(c.counts).toEqual({ hit: 0, miss: 200 });
		// Each seen again is looked up (a miss) and kept: the next round is all hits.
		for (const token of tokens) await c.auth.verify(token);
		expect(c.hashes).toHaveBeenCalledTimes(200);
		for (const token of tokens) await c.auth.verify(token);
		expect(c.counts).toEqual({ hit: 200, miss: 400 });
	});

	it("copies claims named __proto__ as plain properties, on a miss and on each kind of hit", async () => {
		const claims = JSON.parse('{"__proto__": {"admin": true}, "roles": [{"__proto__": {"admin": true}}]}') as Record<string, unknown>;
		const token = c.issuer.mint(c.issuer.keys[0], { claims, now: c.now });
		const connection = {};
		const viaHeader = () => c.auth.authenticate(`Bearer ${token}`, connection);
		// A miss not looked up, a miss that is kept, a hit of the connection's memo (no hash), a hit of the LRU.
		const verdicts = [await viaHeader(), await viaHeader(), await viaHeader(), await c.auth.verify(token)];
		expect(c.counts).toEqual({ hit: 2, miss: 2 });
		expect(c.hashes).toHaveBeenCalledTimes(2);
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

	it("still applies exp: past it the entry no longer c.counts, and the full verification refuses", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { expiresIn: 60, now: c.now });
		await c.cached(token);
		c.now += 66_000;
		expect(await c.auth.verify(token)).toMatchObject({ ok: false, reason: "expired" });
		expect(c.counts.hit).toBe(1);
	});

	it("still applies JWT_MAX_TOKEN_AGE on a hit, before the entry's own deadline", async () => {
		await c.startAuthenticator({ JWT_MAX_TOKEN_AGE: "60" });
		const token = c.issuer.mint(c.issuer.keys[0], { expiresIn: 3600, now: c.now });
		await c.cached(token);
		c.now += 66_000;
		expect(await c.auth.verify(token)).toMatchObject({ ok: false, reason: "too_old" });
	});

	it("keeps an entry for at most ten minutes after its signature was checked, and no longer than exp", async () => {
		const longLived = c.issuer.mint(c.issuer.keys[0], { sub: "long", expiresIn: 3600, now: c.now });
		const shortLived = c.issuer.mint(c.issuer.keys[0], { sub: "short", expiresIn: 120, now: c.now });
		// Twice each, so both are cached.
		for (const token of [longLived, shortLived, longLived, shortLived]) await c.auth.verify(token);
		expect(c.counts).toEqual({ hit: 0, miss: 4 });
		c.now += 10 * 60_000 - 1;
		expect((await c.auth.verify(longLived)).ok).toBe(true);
		expect(c.counts).toEqual({ hit: 1, miss: 4 });
		c.now += 1;
		// Past ten minutes: verified again in full (a miss), and cached again from then (it was seen lately).
		expect((await c.auth.verify(longLived)).ok).toBe(true);
		expect((await c.auth.verify(longLived)).ok).toBe(true);
		expect(c.counts).toEqual({ hit: 2, miss: 5 });
		// Past exp (and the clock tolerance), the entry is no hit either: a miss, then the rejection.
		expect(await c.auth.verify(shortLived)).toMatchObject({ ok: false, reason: "expired" });
		expect(c.counts).toEqual({ hit: 2, miss: 6 });
	});

	it("drops a cached token at once when its key leaves the key set", async () => {
		const token = c.issuer.mint(c.issuer.keys[1], { now: c.now });
		await c.cached(token);
		c.issuer.removeKey("b");
		await c.auth.refreshKeys();
		expect(await c.auth.verify(token)).toMatchObject({ ok: false, reason: "unknown_key" });
		expect(c.counts.hit).toBe(1);
	});

	it("drops a cached token when its kid is re-keyed: the same kid with new key material vouches for nothing signed before", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { now: c.now });
		await c.cached(token);
		c.issuer.removeKey("a");
		c.issuer.addKey("EdDSA", "a");
		expect((await c.auth.refreshKeys())[0]).toMatchObject({ ok: true, kids: ["b", "a"] });
		expect(await c.auth.verify(token)).toMatchObject({ ok: false, reason: "bad_signature" });
		expect(c.counts.hit).toBe(1);
	});

	it("drops a cached token once its key set is older than JWKS_STALE_MAX_AGE and the c.issuer cannot be reached", async () => {
		await c.startAuthenticator({ JWKS_CACHE_MAX_AGE: "60000", JWKS_STALE_MAX_AGE: "120000" });
		const token = c.issuer.mint(c.issuer.keys[0], { expiresIn: 3600, now: c.now });
		await c.cached(token);
		c.issuer.mode = "down";
		// Still within the stale bound: the kept verification holds while the c.issuer is down.
		c.now += 90_000;
		expect((await c.auth.verify(token)).ok).toBe(true);
		expect(c.counts.hit).toBe(2);
		c.now += 40_000;
		expect(await c.auth.verify(token)).toMatchObject({ ok: false, reason: "jwks_unavailable" });
		expect(c.counts.hit).toBe(2);
	});

	it("never caches a rejection: looked up on each check after the first, never a hit", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { expiresIn: -60, now: c.now });
		for (let i = 0; i < 3; i++) expect(await c.auth.verify(token)).toMatchObject({ ok: false, reason: "expired" });
		expect(c.hashes).toHaveBeenCalledTimes(2);
		expect(c.counts).toEqual({ hit: 0, miss: 3 });
	});

	it("never takes another signature on a cached header and payload for the cached one", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { now: c.now });
		await c.cached(token);
		const forged = `${token.slice(0, -4)}AAAA`;
		// The second check of the forged token is looked up in the cache: the first is not even hashed.
		for (let i = 0; i < 2; i++) expect(await c.auth.verify(forged)).toMatchObject({ ok: false, reason: "bad_signature" });
		expect(c.hashes).toHaveBeenLastCalledWith(forged);
		expect(c.counts.hit).toBe(1);
	});
});
