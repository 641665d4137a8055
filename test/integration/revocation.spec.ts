/**
 * Revocation on one gateway over real HTTP: a token revoked after it was cached, and one
 * remembered on a keep-alive connection, are refused at once with reason `revoked`; the entry
 * count is a metric; `api.revoke` is reachable through the broker only.
 */
import { Agent, request } from "node:http";
import type { Authenticator } from "../../lib/auth/authenticator";
import { REVOCATION_ENTRIES_METRIC } from "../../mixins/revocation.mixin";
import { claimOf } from "../support/claims";
import { KeyServer } from "../support/key-server";
import { bearer, cacheHits, get, startGateway, type Gateway } from "../support/gateway";

jest.setTimeout(30_000);

interface Answer {
	readonly status: number;
	readonly reason: string | undefined;
	readonly challenge: string | null;
	readonly reusedSocket: boolean;
}

function getOn(agent: Agent, url: string, token: string): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, res => {
			let text = "";
			res.setEncoding("utf8");
			res.on("data", (chunk: string) => (text += chunk));
			res.on("end", () => {
				const body = JSON.parse(text) as { data?: { reason?: string } };
				const challenge = res.headers["www-authenticate"];
				resolve({ status: res.statusCode ?? 0, reason: body.data?.reason, challenge: typeof challenge === "string" ? challenge : null, reusedSocket: req.reusedSocket });
			});
		});
		req.on("error", reject);
		req.end();
	});
}

describe("revocation on a gateway", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let agent: Agent;
	let url: string;
	let authenticator: Authenticator;

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "rev");
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer }, { broker: { metrics: { enabled: true, reporter: [] } } });
		url = `${gateway.url}/api/protected`;
		authenticator = (gateway.api as unknown as { authenticator: Authenticator }).authenticator;
	});

	beforeEach(() => {
		agent = new Agent({ keepAlive: true, maxSockets: 1 });
	});

	afterEach(() => agent.destroy());

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	const entries = (kind: string) => gateway.broker.metrics.getMetric(REVOCATION_ENTRIES_METRIC)?.get({ kind })?.value;

	it("refuses a cached and remembered token at once after its jti is revoked", async () => {
		const token = issuer.mint(issuer.keys[0], { sub: "carol" });
		const other = issuer.mint(issuer.keys[0], { sub: "carol" });
		for (let i = 0; i < 3; i++) expect((await getOn(agent, url, token)).status).toBe(200);
		expect(cacheHits(gateway)).toBeGreaterThan(0);
		expect(authenticator.revocations.count).toBe(0);

		const answer = await gateway.broker.call("api.revoke", { jti: claimOf(token, "jti") });
		expect(answer).toMatchObject({ revocation: { kind: "jti", jti: claimOf(token, "jti") }, nodes: [gateway.broker.nodeID], stored: false });

		const remembered = await getOn(agent, url, token);
		expect(remembered).toMatchObject({ status: 401, reason: "revoked", reusedSocket: true });
		expect(remembered.challenge).toContain('error="invalid_token", error_description="The token has been revoked"');
		const cached = await get(url, bearer(token));
		expect([cached.status, cached.body.type, (cached.body.data as { reason: string }).reason]).toEqual([401, "INVALID_TOKEN", "revoked"]);
		expect((await getOn(agent, url, other)).status).toBe(200);
		expect(await gateway.broker.call("api.verify", { token })).toMatchObject({ valid: false, reason: "revoked", status: 401 });
		expect(entries("jti")).toBe(1);
	});

	it("refuses a subject's tokens issued up to `before`, and accepts its tokens issued later", async () => {
		const nowS = Math.floor(Date.now() / 1000);
		const old = issuer.mint(issuer.keys[0], { sub: "dave", now: (nowS - 60) * 1000 });
		expect((await getOn(agent, url, old)).status).toBe(200);
		await gateway.broker.call("api.revoke", { sub: "dave", before: nowS - 30 });
		expect(await getOn(agent, url, old)).toMatchObject({ status: 401, reason: "revoked" });
		expect((await getOn(agent, url, issuer.mint(issuer.keys[0], { sub: "dave" }))).status).toBe(200);
		expect((await getOn(agent, url, issuer.mint(issuer.keys[0], { sub: "erin", now: (nowS - 60) * 1000 }))).status).toBe(200);
		expect(entries("sub")).toBe(1);
	});

	it("refuses bad revocations with a typed error", async () => {
		await expect(gateway.broker.call("api.revoke", { jti: "a", sub: "b" })).rejects.toMatchObject({ type: "INVALID_REVOCATION", code: 422 });
		await expect(gateway.broker.call("api.revoke", {})).rejects.toMatchObject({ type: "INVALID_REVOCATION" });
		await expect(gateway.broker.call("api.revoke", { sub: "b", before: "yesterday" })).rejects.toMatchObject({ name: "ValidationError" });
	});

	it("is not reachable over HTTP", async () => {
		const token = issuer.mint(issuer.keys[0]);
		for (const path of ["/api/api/revoke", "/api/revoke", "/api/api/refreshLocalKeys"]) {
			expect((await get(`${gateway.url}${path}?jti=x`, bearer(token))).status).toBe(404);
			const posted = await fetch(`${gateway.url}${path}`, { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: '{"sub":"x"}' });
			expect(posted.status).toBe(404);
		}
		expect(authenticator.revocations.sizes()).toEqual({ jti: 1, sub: 1 });
	});
});
