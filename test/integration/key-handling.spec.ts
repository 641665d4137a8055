/**
 * Key handling against a key server the test controls, through the real gateway over HTTP:
 * background refresh, kid floods, outages, hangs, hostile key sets and several issuers.
 */
import { randomUUID } from "node:crypto";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, waitFor, type Gateway } from "../support/gateway";

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Runs `count` GETs with at most `concurrency` in flight; returns the statuses and reasons seen. */
async function burst(url: string, tokens: () => string, count: number, concurrency = 64): Promise<Map<string, number>> {
	const seen = new Map<string, number>();
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < count) {
				next += 1;
				const res = await get(url, bearer(tokens()));
				const key = `${res.status} ${(res.body.data as { reason?: string } | undefined)?.reason ?? ""}`.trim();
				seen.set(key, (seen.get(key) ?? 0) + 1);
			}
		})
	);
	return seen;
}

describe("key handling through the gateway", () => {
	let issuer: KeyServer;
	let gateway: Gateway | undefined;

	beforeEach(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "current");
	});

	afterEach(async () => {
		await gateway?.stop();
		gateway = undefined;
		await issuer.stop();
	});

	it("refreshes the key set in the background before it goes stale, so a new key needs no refetch", async () => {
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_CACHE_MAX_AGE: "1000", JWKS_COOLDOWN: "600000" });
		const published = issuer.addKey("EdDSA", "published-later");
		await waitFor(() => issuer.jwksFetches >= 2, 3000);
		const fetchesBefore = issuer.jwksFetches;
		const res = await get(`${gateway.url}/api/protected`, bearer(issuer.mint(published)));
		expect(res.status).toBe(200);
		expect(issuer.jwksFetches).toBe(fetchesBefore);
	});

	it("answers 10,000 distinct unknown kids inside one cooldown 401 unknown_key with at most one fetch", async () => {
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "600000" });
		issuer.resetCounts();
		const key = issuer.keys[0] as (typeof issuer.keys)[number];
		const startedAt = Date.now();
		const seen = await burst(`${gateway.url}/api/protected`, () => issuer.sign(key, { iss: issuer.issuer, exp: 9999999999 }, { kid: randomUUID() }), 10_000);
		const elapsed = Date.now() - startedAt;
		expect(Object.fromEntries(seen)).toEqual({ "401 unknown_key": 10_000 });
		expect(issuer.jwksFetches).toBeLessThanOrEqual(1);
		process.stdout.write(`  10,000 unknown kids: ${issuer.jwksFetches} key-set fetch(es), ${elapsed} ms\n`);
	});

	it("still picks up a genuinely new kid at the next cooldown boundary during a flood of random kids", async () => {
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "1000" });
		issuer.resetCounts();
		const attacker = issuer.keys[0] as (typeof issuer.keys)[number];
		const rotated = issuer.addKey("EdDSA", "rotated-in");
		const startedAt = Date.now();
		let stop = false;
		const flood = (async () => {
			while (!stop) await burst(`${gateway?.url}/api/protected`, () => issuer.sign(attacker, { iss: issuer.issuer, exp: 9999999999 }, { kid: randomUUID() }), 200, 16);
		})();
		await waitFor(async () => (await get(`${gateway?.url}/api/protected`, bearer(issuer.mint(rotated)))).status === 200, 5000, 50);
		stop = true;
		await flood;
		const elapsed = Date.now() - startedAt;
		expect(issuer.jwksFetches).toBeLessThanOrEqual(Math.floor(elapsed / 1000) + 1);
		expect(issuer.jwksFetches).toBeGreaterThanOrEqual(1);
	});

	it("keeps verifying with stale keys while the issuer is down, then answers 503 and goes unready past the stale bound", async () => {
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_CACHE_MAX_AGE: "1000", JWKS_STALE_MAX_AGE: "3000", JWKS_TIMEOUT: "300" });
		const token = issuer.mint(issuer.keys[0]);
		issuer.mode = "down";
		await sleep(1500);
		expect((await get(`${gateway.url}/api/protected`, bearer(token))).status).toBe(200);
		expect((await get(`${gateway.url}/health/ready`)).status).toBe(200);
		await sleep(2000);
		const res = await get(`${gateway.url}/api/protected`, bearer(token));
		expect([res.status, res.body.type]).toEqual([503, "JWKS_UNAVAILABLE"]);
		expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
		expect((await get(`${gateway.url}/health/ready`)).status).toBe(503);
		issuer.mode = "up";
		await waitFor(async () => (await get(`${gateway?.url}/health/ready`)).status === 200, 35_000, 100);
		expect((await get(`${gateway.url}/api/protected`, bearer(token))).status).toBe(200);
	});

	it("costs a request at most JWKS_TIMEOUT plus a little when the key endpoint hangs", async () => {
		issuer.mode = "hang";
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_TIMEOUT: "500" }, { waitReady: false });
		const startedAt = Date.now();
		const res = await get(`${gateway.url}/api/protected`, bearer(issuer.mint(issuer.keys[0])));
		const waited = Date.now() - startedAt;
		expect([res.status, res.body.type]).toEqual([503, "JWKS_UNAVAILABLE"]);
		expect(waited).toBeLessThan(500 + 250);
		process.stdout.write(`  hung key endpoint: request answered 503 after ${waited} ms (JWKS_TIMEOUT=500)\n`);
	});

	it("skips hostile keys of a key set and keeps the good ones working", async () => {
		const weak = issuer.addKey("RS256", "weak-1024", 1024);
		const good = issuer.keys[0] as (typeof issuer.keys)[number];
		issuer.rawKeys = [
			{ ...good.jwk, kid: "enc-key", use: "enc" },
			{ ...good.jwk, kid: "private", d: "AAAA" },
			{ kty: "XYZ", kid: "unknown-kty" },
			{ kty: "RSA", kid: "no-modulus", e: "AQAB" },
			{ ...good.jwk, kid: "dup" },
			{ ...good.jwk, kid: "dup" },
			"not an object"
		];
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "600000" });
		expect((await get(`${gateway.url}/api/protected`, bearer(issuer.mint(good)))).status).toBe(200);
		for (const kid of ["weak-1024", "enc-key", "private", "dup"]) {
			const key = kid === "weak-1024" ? weak : good;
			const res = await get(`${gateway.url}/api/protected`, bearer(issuer.sign(key, { iss: issuer.issuer, exp: 9999999999 }, { kid })));
			expect([kid, res.status, (res.body.data as { reason: string }).reason]).toEqual([kid, 401, "unknown_key"]);
		}
	});
});

describe("several issuers", () => {
	it("gives each issuer its own keys, picks the store by iss, and never fetches for an untrusted issuer", async () => {
		const [a, b, evil] = await Promise.all([new KeyServer().start(), new KeyServer({ discovery: false }).start(), new KeyServer().start()]);
		const keyA = a.addKey("RS256", "same-kid");
		const keyB = b.addKey("EdDSA", "same-kid");
		const keyEvil = evil.addKey("EdDSA", "evil");
		const gateway = await startGateway({ JWT_ISSUER: `${a.issuer},${b.issuer}`, JWKS_COOLDOWN: "0" });
		try {
			expect((await get(`${gateway.url}/api/protected`, bearer(a.mint(keyA)))).status).toBe(200);
			expect((await get(`${gateway.url}/api/protected`, bearer(b.mint(keyB)))).status).toBe(200);
			// B's key under A's name: A's store has an RSA key with that kid, so EdDSA does not fit.
			const crossed = await get(`${gateway.url}/api/protected`, bearer(b.sign(keyB, { iss: a.issuer, exp: 9999999999 })));
			expect((crossed.body.data as { reason: string }).reason).toBe("key_mismatch");
			const counts = [a.jwksFetches, b.jwksFetches];
			const untrusted = await get(`${gateway.url}/api/protected`, bearer(evil.mint(keyEvil)));
			expect([untrusted.status, (untrusted.body.data as { reason: string }).reason]).toEqual([401, "issuer_mismatch"]);
			expect([a.jwksFetches, b.jwksFetches, evil.jwksFetches + evil.discoveryFetches]).toEqual([...counts, 0]);
		} finally {
			await gateway.stop();
			await Promise.all([a.stop(), b.stop(), evil.stop()]);
		}
	});
});
