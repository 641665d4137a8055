/**
 * `api.refreshKeys` over the real NATS server reaches every gateway node: after the issuer
 * drops a kid and one call on one node, neither node accepts that kid's tokens, cached or
 * fresh, and the answer reports each node.
 */
import { KeyServer } from "../support/key-server";
import { bearer, cacheHits, get, startGateway, type Gateway } from "../support/gateway";
import { NATS_URL, uniqueNamespace } from "../support/nats";
import { describeWithNats } from "../support/nats-gate";

jest.setTimeout(60_000);

describeWithNats()("api.refreshKeys on two gateway nodes over NATS", () => {
	let issuer: KeyServer;
	const gateways: Gateway[] = [];

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "stays");
		issuer.addKey("EdDSA", "compromised");
		const namespace = uniqueNamespace("refresh-keys");
		for (const nodeID of ["gw-a", "gw-b"]) {
			gateways.push(await startGateway({ JWT_ISSUER: issuer.issuer }, { broker: { namespace, nodeID, metrics: { enabled: true, reporter: [] }, transporter: { type: "NATS", options: { servers: [NATS_URL] } } } }));
		}
		const [a, b] = gateways as [Gateway, Gateway];
		await a.broker.waitForServices([{ name: "api" }], 10_000);
		// Both gateways see each other's api service before the call fans out.
		const seen = () => a.broker.registry.getServiceList({ onlyAvailable: true }).filter(s => s.name === "api").length;
		for (let i = 0; i < 200 && seen() < 2; i++) await new Promise(resolve => setTimeout(resolve, 25));
		expect(seen()).toBe(2);
		expect(b.broker.nodeID).toBe("gw-b");
	});

	afterAll(async () => {
		await Promise.all(gateways.map(g => g.stop()));
		await issuer.stop();
	});

	it("drops a removed kid on every node with one call, cached and fresh tokens alike", async () => {
		const compromised = issuer.keys[1];
		const cached = issuer.mint(compromised, { sub: "cached" });
		for (const gateway of gateways) {
			// Twice: the second check of a token caches it; the third is a cache hit.
			for (let i = 0; i < 3; i++) expect((await get(`${gateway.url}/api/protected`, bearer(cached))).status).toBe(200);
			expect(cacheHits(gateway)).toBeGreaterThan(0);
		}

		issuer.removeKey("compromised");
		const reports = await gateways[0]?.broker.call("api.refreshKeys", {});
		expect(reports).toEqual([
			expect.objectContaining({ nodeID: "gw-a", issuer: issuer.issuer, ok: true, removed: ["compromised"], added: [], kids: ["stays"] }),
			expect.objectContaining({ nodeID: "gw-b", issuer: issuer.issuer, ok: true, removed: ["compromised"], added: [], kids: ["stays"] })
		]);

		const fresh = issuer.mint(compromised, { sub: "fresh" });
		for (const gateway of gateways) {
			for (const token of [cached, fresh]) {
				const res = await get(`${gateway.url}/api/protected`, bearer(token));
				expect([res.status, res.body.type, (res.body.data as { reason?: string } | undefined)?.reason]).toEqual([401, "INVALID_TOKEN", "unknown_key"]);
			}
			expect((await get(`${gateway.url}/api/protected`, bearer(issuer.mint(issuer.keys[0])))).status).toBe(200);
		}
	});

	it("reports an issuer that is not configured as an error, not an empty answer", async () => {
		await expect(gateways[1]?.broker.call("api.refreshKeys", { issuer: "https://not-trusted.example/" })).rejects.toMatchObject({
			name: "UnknownIssuerError",
			code: 422,
			type: "UNKNOWN_ISSUER"
		});
	});

	it("refreshes one named issuer on every node", async () => {
		const reports = await gateways[1]?.broker.call("api.refreshKeys", { issuer: issuer.issuer });
		expect((reports as { nodeID: string; ok: boolean }[]).map(r => [r.nodeID, r.ok])).toEqual([
			["gw-a", true],
			["gw-b", true]
		]);
	});
});
