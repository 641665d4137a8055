import type { Authenticator } from "../../../lib/auth/authenticator";
import { cacheHarness } from "./cache-harness";

/** The connection's memo in front of the cache: every case reaches it (cache-harness.ts). */
describe("the verified-token cache, per connection: the token last verified on it", () => {
	const c = cacheHarness();
	// Stand-ins for two sockets: the memo only needs an object's identity.
	const socketA = {};
	const socketB = {};

	const check = (token: string, connection: object) => c.auth.authenticate(`Bearer ${token}`, connection) as Exclude<ReturnType<Authenticator["authenticate"]>, null>;
	const claimsOf = async (token: string, connection: object) => {
		const verdict = await check(token, connection);
		return verdict.ok ? verdict.claims : verdict;
	};

	it("is recognised as the same header, without hashing, each caller still with its own copy of the claims", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { sub: "alice", now: c.now });
		// Not even hashed the first time; cached (and remembered on the connection) from the second on.
		const first = await claimsOf(token, socketA);
		expect(c.hashes).toHaveBeenCalledTimes(0);
		await claimsOf(token, socketA);
		expect(c.hashes).toHaveBeenCalledTimes(1);
		const second = await claimsOf(token, socketA);
		expect(second).toMatchObject({ sub: "alice" });
		expect(c.hashes).toHaveBeenCalledTimes(1);
		expect(c.counts).toEqual({ hit: 1, miss: 2 });
		(second as { sub: string }).sub = "mallory";
		expect(await claimsOf(token, socketA)).toMatchObject({ sub: "alice" });
		expect(first).not.toBe(second);
	});

	it("is never another connection's or another token's", async () => {
		const alice = c.issuer.mint(c.issuer.keys[0], { sub: "alice", now: c.now });
		const bob = c.issuer.mint(c.issuer.keys[1], { sub: "bob", now: c.now });
		expect(await claimsOf(alice, socketA)).toMatchObject({ sub: "alice" });
		expect(await claimsOf(bob, socketA)).toMatchObject({ sub: "bob" });
		expect(await claimsOf(alice, socketA)).toMatchObject({ sub: "alice" });
		expect(await claimsOf(alice, socketB)).toMatchObject({ sub: "alice" });
		// No connection's last token was the one sent: alice's second and third checks went
		// through the hash (the first ones of each token were not seen lately).
		expect(c.hashes).toHaveBeenCalledTimes(2);
		// A forged signature on alice's header and payload, twice: the second check is looked up.
		const hits = c.counts.hit;
		const forged = `${alice.slice(0, -4)}AAAA`;
		for (let i = 0; i < 2; i++) expect(await check(forged, socketA)).toMatchObject({ ok: false, reason: "bad_signature" });
		expect(c.hashes).toHaveBeenLastCalledWith(forged);
		expect(c.counts.hit).toBe(hits);
	});

	/** Checks `token` on `connection` until the connection's memo answers (a hit without a hash), and asserts that. */
	async function remembered(token: string, connection: object): Promise<void> {
		await c.cached(token, t => check(t, connection));
		const hashed = c.hashes.mock.calls.length;
		expect((await check(token, connection)).ok).toBe(true);
		expect(c.hashes).toHaveBeenCalledTimes(hashed);
	}

	it("still meets exp", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { expiresIn: 60, now: c.now });
		await remembered(token, socketA);
		c.now += 66_000;
		expect(await check(token, socketA)).toMatchObject({ ok: false, reason: "expired" });
	});

	it("still meets JWT_MAX_TOKEN_AGE", async () => {
		await c.startAuthenticator({ JWT_MAX_TOKEN_AGE: "60" });
		const token = c.issuer.mint(c.issuer.keys[0], { expiresIn: 3600, now: c.now });
		await remembered(token, socketA);
		c.now += 66_000;
		expect(await check(token, socketA)).toMatchObject({ ok: false, reason: "too_old" });
	});

	it("no longer c.counts once its key leaves the key set", async () => {
		const token = c.issuer.mint(c.issuer.keys[1], { now: c.now });
		await remembered(token, socketA);
		const hits = c.counts.hit;
		c.issuer.removeKey("b");
		await c.auth.refreshKeys();
		expect(await check(token, socketA)).toMatchObject({ ok: false, reason: "unknown_key" });
		expect(c.counts.hit).toBe(hits);
	});

	it("no longer c.counts once its kid is re-keyed with new material", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { now: c.now });
		await remembered(token, socketA);
		c.issuer.removeKey("a");
		c.issuer.addKey("EdDSA", "a");
		await c.auth.refreshKeys();
		expect(await check(token, socketA)).toMatchObject({ ok: false, reason: "bad_signature" });
	});

	it("is looked up by hash again ten minutes after its signature was checked, like an entry of the cache", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { expiresIn: 3600, now: c.now });
		await check(token, socketA);
		await check(token, socketA);
		c.now += 9 * 60_000;
		await check(token, socketA);
		expect(c.hashes).toHaveBeenCalledTimes(1);
		c.now += 2 * 60_000;
		expect((await check(token, socketA)).ok).toBe(true);
		expect(c.hashes).toHaveBeenCalledTimes(2);
	});

	it("is the whole header: the same token under another spelling of the scheme goes through the hash", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { sub: "alice", now: c.now });
		expect(await claimsOf(token, socketA)).toMatchObject({ sub: "alice" });
		expect(await c.auth.authenticate(`bearer ${token}`, socketA)).toMatchObject({ ok: true });
		expect(c.hashes).toHaveBeenCalledTimes(1);
		expect(c.auth.authenticate("Basic abc", socketA)).toBeNull();
		expect(c.auth.authenticate(undefined, socketA)).toBeNull();
	});

	it("is not used without a connection (the broker's verify action)", async () => {
		const token = c.issuer.mint(c.issuer.keys[0], { now: c.now });
		await check(token, socketA);
		await c.auth.verify(token);
		expect(c.hashes).toHaveBeenCalledTimes(1);
	});
});
