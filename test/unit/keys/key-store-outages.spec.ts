/**
 * The key store's second round (docs/CONTRACT.md, "Second round"), against a real key server: unknown
 * kids during an outage, discovery that is never remembered as failed, a refetch of the same
 * keys, and https for discovered key sets.
 */
import { IssuerKeyStore, type KeyStoreOptions } from "../../../lib/auth/keys/key-store";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";
import { fetchErrorLog } from "./fetch-errors";

const base: KeyStoreOptions = { cacheMaxAge: 60_000, cooldown: 60_000, timeout: 500, staleMaxAge: 120_000, algorithms: ["RS256", "EdDSA"] };

describe("IssuerKeyStore, second round", () => {
	let server: KeyServer;
	const stores: IssuerKeyStore[] = [];

	const { lastFetchError, noteFetch } = fetchErrorLog();

	function store(options: Partial<KeyStoreOptions> = {}): IssuerKeyStore {
		const created: IssuerKeyStore = new IssuerKeyStore({ issuer: server.issuer, jwksUri: null }, { ...base, ...options, events: { ...options.events, fetched: (_issuer, _cause, ok, error) => noteFetch(created, ok, error) } });
		stores.push(created);
		created.start();
		return created;
	}

	beforeEach(async () => {
		server = await new KeyServer().start();
		server.addKey("EdDSA", "ed-1");
	});

	afterEach(async () => {
		for (const s of stores.splice(0)) s.stop();
		await server.stop();
	});

	it("answers an unknown kid 503 with Retry-After on every lookup inside the cooldown after a failed fetch, and 401 once a fetch succeeds", async () => {
		const keys = store();
		await waitFor(() => keys.hasUsableKeys());
		server.mode = "down";
		expect((await keys.refreshNow()).ok).toBe(false);
		const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => keys.lookup(`made-up-${i}`, "EdDSA")));
		expect(new Set(answers.map(answer => (answer.ok ? "ok" : answer.reason)))).toEqual(new Set(["jwks_unavailable"]));
		expect(answers.every(answer => !answer.ok && (answer.retryAfter ?? 0) >= 1)).toBe(true);
		// The stale key still verifies meanwhile.
		expect((await keys.lookup("ed-1", "EdDSA")).ok).toBe(true);
		server.mode = "up";
		expect((await keys.refreshNow()).ok).toBe(true);
		expect(await keys.lookup("made-up", "EdDSA")).toMatchObject({ ok: false, reason: "unknown_key" });
	});

	it("asks discovery again after a 404 sent it to the /.well-known/jwks.json fallback", async () => {
		server.discovery = false;
		server.jwksName = "keys-v1.json";
		const keys = store();
		await waitFor(() => lastFetchError(keys) !== null);
		expect(lastFetchError(keys)).toMatch(/jwks\.json answered HTTP 404/);
		server.discovery = true;
		await waitFor(() => keys.hasUsableKeys(), 5000);
		expect((await keys.lookup("ed-1", "EdDSA")).ok).toBe(true);
		expect(server.jwksFetches).toBeGreaterThanOrEqual(1);
	});

	it("follows a jwks_uri that changes at the next refresh", async () => {
		const keys = store();
		await waitFor(() => keys.hasUsableKeys());
		server.jwksName = "keys-v2.json";
		server.addKey("EdDSA", "ed-2");
		server.resetCounts();
		expect(await keys.refreshNow()).toMatchObject({ ok: true, added: ["ed-2"] });
		expect([server.discoveryFetches, server.jwksFetches]).toEqual([1, 1]);
	});

	it("keeps the very key object when a refetch returns the same key material, and drops trust when the material under a kid changes", async () => {
		const keys = store({ cooldown: 0 });
		await waitFor(() => keys.hasUsableKeys());
		const before = await keys.lookup("ed-1", "EdDSA");
		if (!before.ok) throw new Error("no key");
		await keys.lookup("made-up", "EdDSA");
		expect(server.jwksFetches).toBe(2);
		expect(keys.stillTrusts(before.key)).toBe(true);
		const after = await keys.lookup("ed-1", "EdDSA");
		expect(after.ok && after.key).toBe(before.key);
		// Same kid, other material: the old key no longer vouches for anything.
		server.removeKey("ed-1");
		server.addKey("EdDSA", "ed-1");
		expect((await keys.refreshNow()).ok).toBe(true);
		expect(keys.stillTrusts(before.key)).toBe(false);
	});

	it.each([
		["refuses", "http://keys.example.com/jwks.json", /jwks_uri "http:\/\/keys.example.com\/jwks.json" is not https/],
		["accepts a loopback", "http://localhost:1/none.json", /localhost:1\/none.json could not be fetched/]
	])("with https required, %s plain-http jwks_uri from discovery", async (_name, jwksUri, message) => {
		server.discoveryJwksUri = jwksUri;
		const keys = store({ requireHttps: true });
		await waitFor(() => lastFetchError(keys) !== null);
		expect(lastFetchError(keys)).toMatch(message);
		expect(server.jwksFetches).toBe(0);
	});
});
