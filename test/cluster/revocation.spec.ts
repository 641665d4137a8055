/**
 * Revocation across gateway nodes over the real NATS server: a revocation made on one node is
 * honoured by the other within 1 s, for tokens it had cached and remembered on a connection.
 * With REVOCATION_REDIS_URL (the real Redis server) a node started later, or again, honours
 * entries made before it started.
 */
import { Agent, request } from "node:http";
import Redis from "ioredis";
import type { Authenticator } from "../../lib/auth/authenticator";
import { claimOf } from "../support/claims";
import { KeyServer } from "../support/key-server";
import { bearer, cacheHits, get, startGateway, waitFor, type Gateway } from "../support/gateway";
import { NATS_URL, uniqueNamespace } from "../support/nats";
import { describeWithNats } from "../support/nats-gate";
import { describeWithRedis, REDIS_URL } from "../support/redis-gate";

jest.setTimeout(60_000);

function statusOn(agent: Agent, url: string, token: string): Promise<{ status: number; reusedSocket: boolean }> {
	return new Promise((resolve, reject) => {
		const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, res => {
			res.resume();
			res.on("end", () => resolve({ status: res.statusCode ?? 0, reusedSocket: req.reusedSocket }));
		});
		req.on("error", reject);
		req.end();
	});
}

const authenticatorOf = (gateway: Gateway) => (gateway.api as unknown as { authenticator: Authenticator }).authenticator;

async function gatewayNode(issuer: KeyServer, namespace: string, nodeID: string, env: Record<string, string> = {}): Promise<Gateway> {
	return startGateway({ JWT_ISSUER: issuer.issuer, ...env }, { broker: { namespace, nodeID, metrics: { enabled: true, reporter: [] }, transporter: { type: "NATS", options: { servers: [NATS_URL] } } } });
}

async function seeEachOther(gateways: readonly Gateway[]): Promise<void> {
	for (const gateway of gateways) {
		await waitFor(() => gateway.broker.registry.getServiceList({ onlyAvailable: true }).filter(s => s.name === "api").length === gateways.length, 10_000);
	}
}

describeWithNats()("revocation on two gateway nodes over NATS", () => {
	let issuer: KeyServer;
	let a: Gateway;
	let b: Gateway;

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "rev-cluster");
		const namespace = uniqueNamespace("revocation");
		a = await gatewayNode(issuer, namespace, "gw-a");
		b = await gatewayNode(issuer, namespace, "gw-b");
		await seeEachOther([a, b]);
	});

	afterAll(async () => {
		await Promise.all([a.stop(), b.stop()]);
		await issuer.stop();
	});

	it.each(["jti", "sub"])("refuses a token cached and remembered on the other node within 1 s of revoking by %s", async kind => {
		const sub = `user-${kind}`;
		const token = issuer.mint(issuer.keys[0], { sub, now: Date.now() - 5000 });
		const agent = new Agent({ keepAlive: true, maxSockets: 1 });
		try {
			for (let i = 0; i < 3; i++) expect((await statusOn(agent, `${b.url}/api/protected`, token)).status).toBe(200);
			expect(cacheHits(b)).toBeGreaterThan(0);
			expect(authenticatorOf(b).revocations.matches({ sub, jti: claimOf(token, "jti") as string, iat: claimOf(token, "iat") as number })).toBe(false);

			const started = performance.now();
			const answer = await a.broker.call("api.revoke", kind === "jti" ? { jti: claimOf(token, "jti") } : { sub });
			expect(answer).toMatchObject({ nodes: ["gw-a", "gw-b"] });
			let last = { status: 200, reusedSocket: false };
			while (performance.now() - started < 1000) {
				last = await statusOn(agent, `${b.url}/api/protected`, token);
				if (last.status === 401) break;
			}
			const elapsed = performance.now() - started;
			expect(last).toEqual({ status: 401, reusedSocket: true });
			process.stdout.write(`revocation by ${kind} reached the second node in ${elapsed.toFixed(1)} ms\n`);
			const fresh = await get(`${b.url}/api/protected`, bearer(token));
			expect([fresh.status, (fresh.body.data as { reason?: string } | undefined)?.reason]).toEqual([401, "revoked"]);
			expect((await get(`${a.url}/api/protected`, bearer(token))).status).toBe(401);
		} finally {
			agent.destroy();
		}
	});

	it("ignores a malformed revocation event from the bus", async () => {
		const before = authenticatorOf(b).revocations.count;
		await a.broker.broadcast("jwt.revoked", { kind: "everyone", at: Date.now() });
		await a.broker.broadcast("jwt.revoked", { kind: "jti", jti: "", at: Date.now() });
		await new Promise(resolve => setTimeout(resolve, 200));
		expect(authenticatorOf(b).revocations.count).toBe(before);
	});
});

describeWithNats()("revocations kept in Redis", () => {
	describeWithRedis()("REVOCATION_REDIS_URL", () => {
		let issuer: KeyServer;
		let namespace: string;
		let redis: Redis;
		const env = { REVOCATION_REDIS_URL: REDIS_URL };

		beforeAll(async () => {
			issuer = await new KeyServer().start();
			issuer.addKey("EdDSA", "rev-redis");
			namespace = uniqueNamespace("revocation-redis");
			redis = new Redis(REDIS_URL);
		});

		afterAll(async () => {
			const keys = await redis.keys(`jwt-revocations:${namespace}:*`);
			if (keys.length > 0) await redis.del(...keys);
			await redis.quit();
			await issuer.stop();
		});

		it("reach a node that starts later and survive a restart of every node", async () => {
			const revokedJti = issuer.mint(issuer.keys[0], { sub: "frank" });
			const revokedSub = issuer.mint(issuer.keys[0], { sub: "grace", now: Date.now() - 5000 });
			const fine = issuer.mint(issuer.keys[0], { sub: "heidi" });
			const first = await gatewayNode(issuer, namespace, "gw-1", env);
			try {
				await first.broker.call("api.revoke", { jti: claimOf(revokedJti, "jti"), exp: claimOf(revokedJti, "exp") });
				const answer = await first.broker.call("api.revoke", { sub: "grace" });
				expect(answer).toMatchObject({ stored: true });
				// Kept no longer than needed: the jti until its exp (plus tolerance), the subject at most a day.
				const jtiTtl = await redis.pttl(`jwt-revocations:${namespace}:jti:${String(claimOf(revokedJti, "jti"))}`);
				expect(jtiTtl).toBeGreaterThan(3_500_000);
				expect(jtiTtl).toBeLessThanOrEqual(3_606_000);
				const later = await gatewayNode(issuer, namespace, "gw-2", env);
				try {
					expect(authenticatorOf(later).revocations.sizes()).toEqual({ jti: 1, sub: 1 });
					for (const token of [revokedJti, revokedSub]) {
						const res = await get(`${later.url}/api/protected`, bearer(token));
						expect([res.status, (res.body.data as { reason?: string } | undefined)?.reason]).toEqual([401, "revoked"]);
					}
					expect((await get(`${later.url}/api/protected`, bearer(fine))).status).toBe(200);
				} finally {
					await later.stop();
				}
			} finally {
				await first.stop();
			}
			const restarted = await gatewayNode(issuer, namespace, "gw-1", env);
			try {
				expect((await get(`${restarted.url}/api/protected`, bearer(revokedSub))).status).toBe(401);
				expect((await get(`${restarted.url}/api/protected`, bearer(revokedJti))).status).toBe(401);
			} finally {
				await restarted.stop();
			}
		});

		it("without REVOCATION_REDIS_URL a later node does not know them (documented: running nodes only)", async () => {
			const other = uniqueNamespace("revocation-memory");
			const token = issuer.mint(issuer.keys[0], { sub: "ivan" });
			const first = await gatewayNode(issuer, other, "gw-m1");
			await first.broker.call("api.revoke", { jti: claimOf(token, "jti") });
			await first.stop();
			const later = await gatewayNode(issuer, other, "gw-m2");
			try {
				expect((await get(`${later.url}/api/protected`, bearer(token))).status).toBe(200);
			} finally {
				await later.stop();
			}
		});
	});
});
