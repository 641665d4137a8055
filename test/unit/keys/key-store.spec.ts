import { IssuerKeyStore, type KeyStoreOptions } from "../../../lib/auth/keys/key-store";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";
import { fetchErrorLog } from "./fetch-errors";

const base: KeyStoreOptions = { cacheMaxAge: 60_000, cooldown: 30_000, timeout: 500, staleMaxAge: 120_000, algorithms: ["RS256", "EdDSA", "ES256"] };

describe("IssuerKeyStore", () => {
	let server: KeyServer;
	const stores: IssuerKeyStore[] = [];

	const { lastFetchError, noteFetch } = fetchErrorLog();

	function store(options: Partial<KeyStoreOptions> = {}, jwksUri: string | null = null): IssuerKeyStore {
		const created: IssuerKeyStore = new IssuerKeyStore({ issuer: server.issuer, jwksUri }, { ...base, ...options, events: { ...options.events, fetched: (_issuer, _cause, ok, error) => noteFetch(created, ok, error) } });
		stores.push(created);
		return created;
	}

	async function started(options: Partial<KeyStoreOptions> = {}): Promise<IssuerKeyStore> {
		const created = store(options);
		created.start();
		await waitFor(() => created.hasUsableKeys(), 3000);
		return created;
	}

	beforeEach(async () => {
		server = await new KeyServer().start();
		server.addKey("RS256", "rsa-1");
		server.addKey("EdDSA", "ed-1");
	});

	afterEach(async () => {
		for (const s of stores.splice(0)) s.stop();
		await server.stop();
	});

	it("discovers the key set through the OIDC discovery document", async () => {
		const keys = await started();
		const found = await keys.lookup("ed-1", "EdDSA");
		expect(found.ok).toBe(true);
		expect(server.discoveryFetches).toBe(1);
		expect(server.jwksFetches).toBe(1);
	});

	it("falls back to /.well-known/jwks.json when discovery answers 404", async () => {
		await server.stop();
		server = await new KeyServer({ discovery: false, issuerPath: "/__zuplo/issuer" }).start();
		server.addKey("EdDSA", "zuplo");
		const keys = await started();
		expect((await keys.lookup("zuplo", "EdDSA")).ok).toBe(true);
	});

	it("does not double the slash of an issuer with a trailing slash", async () => {
		await server.stop();
		server = await new KeyServer({ trailingSlash: true, discovery: false }).start();
		server.addKey("EdDSA", "slash");
		const keys = await started();
		expect((await keys.lookup("slash", "EdDSA")).ok).toBe(true);
	});

	it("treats a discovery document naming another issuer as a failed discovery, and retries it", async () => {
		server.discoveryIssuer = "https://evil.example.com";
		const keys = store();
		keys.start();
		await waitFor(() => lastFetchError(keys) !== null);
		expect(lastFetchError(keys)).toMatch(/names issuer "https:\/\/evil.example.com"/);
		expect(keys.hasUsableKeys()).toBe(false);
		expect(server.jwksFetches).toBe(0);
		server.discoveryIssuer = null;
		await waitFor(() => keys.hasUsableKeys(), 5000);
		expect(server.discoveryFetches).toBeGreaterThanOrEqual(2);
	});

	it("refetches once for an unknown kid, then answers unknown_key within the cooldown", async () => {
		const keys = await started({ cooldown: 0 });
		const rotated = server.addKey("EdDSA", "ed-2");
		expect((await keys.lookup(rotated.kid, "EdDSA")).ok).toBe(true);
		expect(server.jwksFetches).toBe(2);

		const cooled = await started({ cooldown: 60_000 });
		server.resetCounts();
		expect(await cooled.lookup("never-published", "EdDSA")).toMatchObject({ ok: false, reason: "unknown_key" });
		expect(server.jwksFetches).toBe(0);
	});

	it("shares one fetch between 1,000 concurrent lookups of the same unknown kid", async () => {
		const keys = await started({ cooldown: 0 });
		server.resetCounts();
		server.addKey("EdDSA", "new-kid");
		const results = await Promise.all(Array.from({ length: 1000 }, () => keys.lookup("new-kid", "EdDSA")));
		expect(results.every(r => r.ok)).toBe(true);
		expect(server.jwksFetches).toBe(1);
	});

	it("stops trusting a key removed from the set at the next fetch", async () => {
		const keys = await started({ cooldown: 0 });
		server.removeKey("rsa-1");
		const report = await keys.refreshNow();
		expect(report).toMatchObject({ ok: true, removed: ["rsa-1"], added: [] });
		expect(await keys.lookup("rsa-1", "RS256")).toMatchObject({ ok: false, reason: "unknown_key" });
	});

	it("reports kids added by a manual refresh, whatever the cooldown", async () => {
		const keys = await started({ cooldown: 60_000 });
		server.addKey("ES256", "ec-1");
		const report = await keys.refreshNow();
		expect(report).toMatchObject({ ok: true, added: ["ec-1"], removed: [] });
		expect((await keys.lookup("ec-1", "ES256")).ok).toBe(true);
	});

	it("answers jwks_unavailable with Retry-After when the issuer is down from the start", async () => {
		server.mode = "down";
		const keys = store();
		keys.start();
		const found = await keys.lookup("ed-1", "EdDSA");
		expect(found).toMatchObject({ ok: false, reason: "jwks_unavailable" });
		expect(found.ok === false && found.retryAfter).toBeGreaterThanOrEqual(1);
		expect(keys.hasUsableKeys()).toBe(false);
	});

	it("recovers when the issuer comes back after a failed start", async () => {
		server.mode = "error";
		const keys = store();
		keys.start();
		await waitFor(() => lastFetchError(keys) !== null);
		server.mode = "up";
		await waitFor(() => keys.hasUsableKeys(), 5000);
		expect((await keys.lookup("ed-1", "EdDSA")).ok).toBe(true);
	});

	it.each([
		["hangs", "hang" as const],
		["trickles its answer", "trickle" as const]
	])("gives up on a key server that %s after JWKS_TIMEOUT", async (_name, mode) => {
		server.mode = mode;
		const keys = store({ timeout: 400 });
		const startedAt = Date.now();
		keys.start();
		const found = await keys.lookup("ed-1", "EdDSA");
		const waited = Date.now() - startedAt;
		expect(found).toMatchObject({ ok: false, reason: "jwks_unavailable" });
		expect(waited).toBeLessThan(400 + 300);
		expect(lastFetchError(keys)).toMatch(/did not answer in time/);
	});

	it.each([
		["garbage", () => (server.mode = "garbage"), /not JSON/],
		["a body over 1 MiB", () => (server.body = JSON.stringify({ keys: [], pad: "x".repeat(1024 * 1024 + 1) })), /larger than/],
		["no usable key", () => (server.body = JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }] })), /no usable signing key/]
	])("fails a fetch that returns %s without crashing", async (_name, arrange, message) => {
		arrange();
		const keys = store({ timeout: 2000 });
		keys.start();
		await waitFor(() => lastFetchError(keys) !== null);
		expect(lastFetchError(keys)).toMatch(message);
		expect(keys.hasUsableKeys()).toBe(false);
	});

	it("keeps verifying with stale keys while the issuer is down, within the stale bound", async () => {
		let now = Date.now();
		const staleUses: string[] = [];
		const keys = store({ cacheMaxAge: 1000, staleMaxAge: 10_000, cooldown: 0, now: () => now, events: { staleKeyUsed: issuer => staleUses.push(issuer) } });
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		server.mode = "down";
		now += 5000;
		expect((await keys.lookup("ed-1", "EdDSA")).ok).toBe(true);
		expect(staleUses).toHaveLength(1);
		expect(keys.hasUsableKeys()).toBe(true);
		// An unknown kid during the outage may be a key we could not fetch: 503, not 401.
		expect(await keys.lookup("unseen", "EdDSA")).toMatchObject({ ok: false, reason: "jwks_unavailable" });
		now += 6000;
		expect(keys.hasUsableKeys()).toBe(false);
		expect(await keys.lookup("ed-1", "EdDSA")).toMatchObject({ ok: false, reason: "jwks_unavailable" });
	});

	it("uses a configured JWKS_URI without discovery", async () => {
		const keys = store({}, server.jwksUri);
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		expect(server.discoveryFetches).toBe(0);
	});

	it("accepts a kid-less token only when exactly one key fits its algorithm", async () => {
		const keys = await started();
		expect((await keys.lookup(undefined, "RS256")).ok).toBe(true);
		server.addKey("RS256", "rsa-2");
		await keys.refreshNow();
		expect(await keys.lookup(undefined, "RS256")).toMatchObject({ ok: false, reason: "unknown_key" });
	});

	it("refuses a key that does not fit the token's algorithm", async () => {
		const keys = await started();
		expect(await keys.lookup("ed-1", "RS256")).toMatchObject({ ok: false, reason: "key_mismatch" });
		expect(await keys.lookup("rsa-1", "ES256")).toMatchObject({ ok: false, reason: "key_mismatch" });
	});
});

describe("IssuerKeyStore, trust in a key over time", () => {
	let server: KeyServer;
	const stores: IssuerKeyStore[] = [];
	let now: number;
	let staleUses: number;

	function store(options: Partial<KeyStoreOptions> = {}): IssuerKeyStore {
		const created = new IssuerKeyStore(
			{ issuer: server.issuer, jwksUri: null },
			{ ...base, cacheMaxAge: 1000, staleMaxAge: 10_000, now: () => now, events: { staleKeyUsed: () => (staleUses += 1) }, ...options }
		);
		stores.push(created);
		return created;
	}

	async function keyOf(keys: IssuerKeyStore, kid: string | undefined, alg: "EdDSA" | "RS256") {
		const found = await keys.lookup(kid, alg);
		if (!found.ok) throw new Error(`no key: ${found.reason}`);
		return found.key;
	}

	beforeEach(async () => {
		now = 1_000_000;
		staleUses = 0;
		server = await new KeyServer().start();
		server.addKey("RS256", "rsa-1");
	});

	afterEach(async () => {
		for (const s of stores.splice(0)) s.stop();
		await server.stop();
	});

	it("trusts a key while its set is fresh, says when it is stale, and stops past the stale bound", async () => {
		const keys = store();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		const key = await keyOf(keys, "rsa-1", "RS256");
		expect(keys.stillTrusts(key)).toBe(true);
		now += 1000;
		expect(keys.stillTrusts(key)).toBe(true);
		expect(staleUses).toBe(0);
		now += 1;
		expect(keys.stillTrusts(key)).toBe(true);
		expect(staleUses).toBe(1);
		now += 9000 - 1;
		expect(keys.stillTrusts(key)).toBe(true);
		expect(keys.hasUsableKeys()).toBe(true);
		now += 1;
		expect(keys.stillTrusts(key)).toBe(false);
		expect(keys.hasUsableKeys()).toBe(false);
		expect(staleUses).toBe(2);
	});

	it("judges at the reading of its clock it is given, reading none of its own", async () => {
		const keys = store();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		const key = await keyOf(keys, "rsa-1", "RS256");
		const fetchedAt = now;
		// The store's clock is pushed past the stale bound: a given reading must win over it.
		now += 60_000;
		expect(keys.stillTrusts(key, fetchedAt + 1000)).toBe(true);
		expect(staleUses).toBe(0);
		expect(keys.stillTrusts(key, fetchedAt + 1001)).toBe(true);
		expect(staleUses).toBe(1);
		expect(keys.stillTrusts(key, fetchedAt + 10_001)).toBe(false);
		expect(keys.stillTrusts(key)).toBe(false);
	});

	it("says a key is stale when a lookup uses it past the set's max age, and not before", async () => {
		const keys = store();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		await keyOf(keys, "rsa-1", "RS256");
		now += 1000;
		await keyOf(keys, "rsa-1", "RS256");
		expect(staleUses).toBe(0);
		now += 1;
		await keyOf(keys, "rsa-1", "RS256");
		expect(staleUses).toBe(1);
	});

	it("trusts a kid-less key only while that very key is in the set", async () => {
		server.keys.splice(0);
		const published = server.addKey("EdDSA", "ignored");
		const { kid: _kid, ...kidless } = published.jwk;
		server.keys.splice(0);
		server.rawKeys = [kidless];
		const keys = store();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		const key = await keyOf(keys, undefined, "EdDSA");
		expect(key.kid).toBeNull();
		expect(keys.stillTrusts(key)).toBe(true);
		const { kid: _other, ...replacement } = server.addKey("EdDSA", "ignored-too").jwk;
		server.keys.splice(0);
		server.rawKeys = [replacement];
		expect((await keys.refreshNow()).ok).toBe(true);
		expect(keys.stillTrusts(key)).toBe(false);
	});

	it("never trusts a key of another store under the same kid", async () => {
		const first = store();
		const second = store();
		first.start();
		second.start();
		await waitFor(() => first.hasUsableKeys() && second.hasUsableKeys());
		expect(second.stillTrusts(await keyOf(first, "rsa-1", "RS256"))).toBe(false);
		expect(second.stillTrusts(await keyOf(second, "rsa-1", "RS256"))).toBe(true);
	});

	it("knows the age of its key set, none before the first fetch", async () => {
		const keys = store();
		expect(keys.keySetAgeMs()).toBeNull();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		now += 1234;
		expect(keys.keySetAgeMs()).toBe(1234);
	});

	it("doubles the wait after each failed fetch and tells clients the seconds left, at least one", async () => {
		server.mode = "error";
		const attempts: [string, boolean][] = [];
		const keys = store({ events: { fetched: (_issuer, cause, ok) => attempts.push([cause, ok]) } });
		keys.start();
		// Retries after 0.5 s, then 1 s: the third failure sets the next attempt 2 s after it.
		await waitFor(() => attempts.length === 3, 5000);
		expect(attempts).toEqual([
			["startup", false],
			["retry", false],
			["retry", false]
		]);
		const retryAfter = async () => {
			const found = await keys.lookup("rsa-1", "RS256");
			return found.ok ? null : [found.reason, found.retryAfter];
		};
		expect(await retryAfter()).toEqual(["jwks_unavailable", 2]);
		now += 500;
		expect(await retryAfter()).toEqual(["jwks_unavailable", 2]);
		now += 1000;
		expect(await retryAfter()).toEqual(["jwks_unavailable", 1]);
		now += 5000;
		expect(await retryAfter()).toEqual(["jwks_unavailable", 1]);
	});

	it("reports a failed manual refresh with its error, and the kids it still has", async () => {
		const keys = store();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		server.mode = "error";
		const report = await keys.refreshNow();
		expect(report).toEqual({ issuer: server.issuer, ok: false, error: expect.stringMatching(/500/), kids: ["rsa-1"], added: [], removed: [] });
		server.mode = "up";
		server.addKey("EdDSA", "ed-9");
		expect(await keys.refreshNow()).toEqual({ issuer: server.issuer, ok: true, kids: ["rsa-1", "ed-9"], added: ["ed-9"], removed: [] });
	});

	it("tells its listeners about each fetch and each skipped key", async () => {
		const seen: string[] = [];
		server.rawKeys = [{ kty: "XYZ", kid: "odd" }];
		const keys = store({
			events: {
				fetchStarted: (issuer, cause) => seen.push(`started ${cause} ${issuer === server.issuer}`),
				fetched: (_issuer, cause, ok) => seen.push(`fetched ${cause} ${ok}`),
				warning: (_issuer, message) => seen.push(`warning ${message}`)
			}
		});
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		server.removeKey("rsa-1");
		server.addKey("EdDSA", "ed-2");
		await keys.refreshNow();
		expect(seen).toEqual([
			"started startup true",
			'warning skipped kid "odd": kty "XYZ" is not supported',
			"fetched startup true",
			"started manual true",
			'warning skipped kid "odd": kty "XYZ" is not supported',
			"fetched manual true"
		]);
	});
});
