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
