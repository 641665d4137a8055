/**
 * The key store's timing and answers at their edges, against a real key server: when the
 * background refresh runs and that stop() ends it, which lookups are answered without a
 * promise, lookups made while the first fetch is under way, the cooldown to the millisecond,
 * and what a refresh report says of kid-less keys and of a store that never had a set.
 */
import { IssuerKeyStore, type FetchCause, type KeyStoreOptions } from "../../../lib/auth/keys/key-store";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";

const base: KeyStoreOptions = { cacheMaxAge: 60_000, cooldown: 30_000, timeout: 5000, staleMaxAge: 120_000, algorithms: ["RS256", "EdDSA"] };
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe("IssuerKeyStore, timing and edges", () => {
	let server: KeyServer;
	const stores: IssuerKeyStore[] = [];
	/** Each fetch started, with its cause and the time it started. */
	let started: { cause: FetchCause; at: number }[];

	function store(options: Partial<KeyStoreOptions> = {}): IssuerKeyStore {
		const created = new IssuerKeyStore({ issuer: server.issuer, jwksUri: null }, { ...base, events: { fetchStarted: (_issuer, cause) => started.push({ cause, at: Date.now() }) }, ...options });
		stores.push(created);
		return created;
	}

	beforeEach(async () => {
		started = [];
		server = await new KeyServer().start();
		server.addKey("EdDSA", "ed-1");
	});

	afterEach(async () => {
		for (const s of stores.splice(0)) s.stop();
		await server.stop();
	});

	it("refreshes in the background 75 to 85 % into the set's max age, as a refresh", async () => {
		let fetchedAt = 0;
		const keys = store({ cacheMaxAge: 1000, events: { fetched: () => (fetchedAt ||= Date.now()), fetchStarted: (_issuer, cause) => started.push({ cause, at: Date.now() }) } });
		keys.start();
		await waitFor(() => started.length === 2, 3000);
		expect(started.map(fetch => fetch.cause)).toEqual(["startup", "refresh"]);
		const delay = (started[1]?.at as number) - fetchedAt;
		expect(delay).toBeGreaterThanOrEqual(749);
		expect(delay).toBeLessThan(950);
	});

	it("keeps a set fetched before start() fresh too: only stop() ends the background refresh", async () => {
		const keys = store({ cacheMaxAge: 200 });
		const report = await keys.refreshNow();
		expect(report.ok).toBe(true);
		await waitFor(() => started.length === 2, 3000);
		expect(started.map(fetch => fetch.cause)).toEqual(["manual", "refresh"]);
	});

	it("never holds the process open with its refresh timer", async () => {
		const timers = () => process.getActiveResourcesInfo().filter(resource => resource === "Timeout").length;
		const keys = store();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		// The refresh is scheduled: clearing it (stop) must not change what holds the process.
		const scheduled = timers();
		keys.stop();
		expect(timers()).toBe(scheduled);
	});

	it("fetches nothing more once stopped, even when the fetch under way ends after the stop", async () => {
		const idle = store({ cacheMaxAge: 100 });
		idle.start();
		await waitFor(() => idle.hasUsableKeys());
		idle.stop();
		// Stopped while its first fetch is under way: that fetch's end schedules nothing.
		const busy = store({ cacheMaxAge: 100 });
		busy.start();
		busy.stop();
		await sleep(300);
		expect(started.map(fetch => fetch.cause)).toEqual(["startup", "startup"]);
		expect(busy.hasUsableKeys()).toBe(true);
	});

	it("moves the background refresh when a manual refresh succeeds, never adds one", async () => {
		const fetched: number[] = [];
		const keys = store({ cacheMaxAge: 1000, events: { fetched: () => fetched.push(Date.now()), fetchStarted: (_issuer, cause) => started.push({ cause, at: Date.now() }) } });
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		await sleep(300);
		await keys.refreshNow();
		// Timestamps, not a sleep at the schedule's edge: a late timer only makes the refresh later.
		// Unmoved, the first refresh would start 750 to 850 ms after the first fetch, about 450 to 550 ms
		// after the manual one, and be the third fetch; moved, it starts 750 to 850 ms after the manual one.
		await waitFor(() => started.length === 3, 3000);
		expect(started.map(fetch => fetch.cause)).toEqual(["startup", "manual", "refresh"]);
		expect((started[2]?.at as number) - (fetched[1] as number)).toBeGreaterThanOrEqual(745);
		await sleep(300);
		expect(started).toHaveLength(3);
	});

	it("answers from the current set without a promise: a key, or a key that does not fit", async () => {
		const keys = store();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		expect(keys.lookup("ed-1", "EdDSA")).toMatchObject({ ok: true });
		expect(keys.lookup("ed-1", "RS256")).toMatchObject({ ok: false, reason: "key_mismatch" });
		// An unknown kid waits for a fetch, reported as such.
		const unknown = keys.lookup("ed-2", "EdDSA");
		expect(unknown).toBeInstanceOf(Promise);
		expect(await unknown).toMatchObject({ ok: false, reason: "unknown_key" });
	});

	it("answers lookups made during the first fetch from it, without another fetch", async () => {
		const keys = store({ cooldown: 0 });
		keys.start();
		expect(await Promise.all([keys.lookup("ed-1", "EdDSA"), keys.lookup("ed-1", "RS256")])).toEqual([
			expect.objectContaining({ ok: true }),
			expect.objectContaining({ ok: false, reason: "key_mismatch" })
		]);
		expect(server.jwksFetches).toBe(1);
		expect(await keys.lookup("ed-2", "EdDSA")).toMatchObject({ ok: false, reason: "unknown_key" });
		expect(started.map(fetch => fetch.cause)).toEqual(["startup", "unknown_kid"]);
	});

	it("fetches for an unknown kid again once the cooldown has passed, to the millisecond", async () => {
		let now = 1_000_000;
		const keys = store({ cooldown: 1000, now: () => now });
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		now += 999;
		await keys.lookup("ed-2", "EdDSA");
		expect(server.jwksFetches).toBe(1);
		now += 1;
		await keys.lookup("ed-2", "EdDSA");
		expect(server.jwksFetches).toBe(2);
	});

	it("fetches a plain-http jwks_uri named by discovery when https is not required", async () => {
		// TEST-NET-1: nothing answers there; what matters is that the fetch was tried.
		server.discoveryJwksUri = "http://192.0.2.1:9/jwks.json";
		const errors: string[] = [];
		const keys = store({ timeout: 300, events: { fetched: (_issuer, _cause, ok, error) => void (ok || errors.push(error ?? "")) } });
		keys.start();
		await waitFor(() => errors.length > 0);
		expect(errors[0]).toMatch(/192\.0\.2\.1/);
		expect(errors[0]).not.toMatch(/not https/);
	});

	it("fetches again on a manual refresh made while a fetch hangs, once that fetch has given up", async () => {
		// A key withdrawn while a fetch is under way must go at once: that fetch may predate it.
		server.mode = "hang";
		const keys = store({ timeout: 300 });
		keys.start();
		await waitFor(() => server.discoveryFetches === 1);
		server.mode = "up";
		expect(await keys.refreshNow()).toMatchObject({ ok: true, kids: ["ed-1"] });
		expect(started.map(fetch => fetch.cause)).toEqual(["startup", "manual"]);
	});

	it("needs no listener for the keys it skips", async () => {
		server.rawKeys = [{ kty: "XYZ", kid: "odd" }];
		const keys = new IssuerKeyStore({ issuer: server.issuer, jwksUri: null }, base);
		stores.push(keys);
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		expect(keys.lookup("ed-1", "EdDSA")).toMatchObject({ ok: true });
	});

	it("names kid-less keys in its reports, and reports no kids before its first set", async () => {
		server.mode = "down";
		const keys = store();
		expect(await keys.refreshNow()).toMatchObject({ ok: false, kids: [], added: [], removed: [] });
		server.mode = "up";
		const { kid: _kid, ...kidless } = server.addKey("RS256", "ignored").jwk;
		server.keys.splice(1);
		server.rawKeys = [kidless];
		expect(await keys.refreshNow()).toMatchObject({ ok: true, kids: ["ed-1", "(no kid)"], added: ["ed-1", "(no kid)"] });
	});

	it("trusts a kid-less key beside keys with kids only as that very key", async () => {
		const { kid: _kid, ...kidless } = server.addKey("RS256", "ignored").jwk;
		server.keys.splice(1);
		server.rawKeys = [kidless];
		const keys = store();
		keys.start();
		await waitFor(() => keys.hasUsableKeys());
		const found = keys.lookup(undefined, "RS256");
		if (found instanceof Promise || !found.ok) throw new Error("no kid-less key");
		expect(found.key.kid).toBeNull();
		expect(keys.stillTrusts(found.key)).toBe(true);
	});
});
