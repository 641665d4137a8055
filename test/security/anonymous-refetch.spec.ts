/**
 * An anonymous client's made-up kids cause key-set refetches (one per cooldown); a refetch that
 * returns the same keys must not flush the verified-token cache. Played over HTTP against the
 * real gateway and key server, read back from the Prometheus endpoint.
 */
import { randomUUID } from "node:crypto";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get, startGateway, type Gateway } from "../support/gateway";

jest.setTimeout(60_000);

function sample(metrics: string, name: string, labels: Record<string, string>): number {
	const line = metrics.split("\n").find(l => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
	return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

describe("unknown-kid refetches while cached tokens are served", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let metricsUrl: string;

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "cached");
		const metricsPort = await freePort();
		metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
		gateway = await startGateway(
			{ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0" },
			{ broker: { metrics: { enabled: true, reporter: { type: "Prometheus", options: { port: metricsPort } } } } }
		);
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	const lookups = async () => {
		const metrics = await (await fetch(metricsUrl)).text();
		return { hit: sample(metrics, "jwt_token_cache_lookups_total", { result: "hit" }), miss: sample(metrics, "jwt_token_cache_lookups_total", { result: "miss" }) };
	};

	it("keeps serving cached tokens as hits through 30 refetches caused by made-up kids", async () => {
		const key = issuer.keys[0] as NonNullable<(typeof issuer.keys)[0]>;
		const tokens = [issuer.mint(key), issuer.mint(key)];
		// Twice each (the second time caches), on fresh connections: no connection memo helps.
		for (const token of [...tokens, ...tokens]) expect((await get(`${gateway.url}/api/protected`, { ...bearer(token), Connection: "close" })).status).toBe(200);
		const fetches = issuer.jwksFetches;
		for (let i = 0; i < 30; i++) {
			const madeUp = issuer.sign(key, { iss: issuer.issuer, exp: 9999999999 }, { kid: randomUUID() });
			expect((await get(`${gateway.url}/api/protected`, bearer(madeUp))).status).toBe(401);
		}
		expect(issuer.jwksFetches).toBeGreaterThanOrEqual(fetches + 30);
		const before = await lookups();
		for (let i = 0; i < 10; i++) {
			for (const token of tokens) expect((await get(`${gateway.url}/api/protected`, { ...bearer(token), Connection: "close" })).status).toBe(200);
		}
		const after = await lookups();
		expect({ hit: after.hit - before.hit, miss: after.miss - before.miss }).toEqual({ hit: 20, miss: 0 });
	});
});
