/**
 * Zero trust on the bus, over the real NATS server: with JWT_PROPAGATE_TOKEN=true the gateway
 * passes the bearer token along, and the service node verifies it itself (zero-trust.mixin.ts).
 * A client on the bus that writes `ctx.meta.user` without a token it can verify is refused
 * before the handler runs; through the gateway the call works; no token reaches a log line.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { parseAuthConfig } from "../../lib/auth/policy/env";
import { zeroTrustMixin } from "../../mixins/zero-trust.mixin";
import { CaptureLogger } from "../support/capture-logger";
import { claimOf } from "../support/claims";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, waitFor, type Gateway } from "../support/gateway";
import { NATS_URL, uniqueNamespace } from "../support/nats";
import { describeWithNats } from "../support/nats-gate";

jest.setTimeout(60_000);

describeWithNats()("zero trust: service nodes verify the propagated token", () => {
	let issuer: KeyServer;
	let stranger: KeyServer;
	let gateway: Gateway;
	let svc: ServiceBroker;
	let client: ServiceBroker;
	let handlerRuns = 0;
	const logs = [new CaptureLogger("debug"), new CaptureLogger("debug"), new CaptureLogger("debug")];
	const tokens: string[] = [];

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "zt");
		stranger = await new KeyServer().start();
		stranger.addKey("EdDSA", "zt");
		const namespace = uniqueNamespace("zero-trust");
		const transporter = { type: "NATS" as const, options: { servers: [NATS_URL] } };
		const env = { PORT: "0", JWT_ISSUER: issuer.issuer, JWT_PROPAGATE_TOKEN: "true" };
		svc = new ServiceBroker({ namespace, nodeID: "svc", transporter, logger: logs[1] });
		const guarded: ServiceSchema = {
			name: "protected",
			mixins: [zeroTrustMixin(parseAuthConfig(env))],
			actions: {
				get(ctx) {
					handlerRuns += 1;
					return { message: "Access granted", user: (ctx.meta as { user?: unknown }).user };
				},
				open: { auth: false, handler: () => "open" }
			}
		};
		svc.createService(guarded);
		await svc.start();
		gateway = await startGateway(env, { services: [], broker: { namespace, nodeID: "gw", transporter, logger: logs[0] } });
		client = new ServiceBroker({ namespace, nodeID: "bus-client", transporter, logger: logs[2] });
		await client.start();
		await gateway.broker.waitForServices(["protected"], 10_000);
		await client.waitForServices(["protected", "api"], 10_000);
	});

	afterAll(async () => {
		await Promise.all([gateway?.stop(), svc?.stop(), client?.stop()]);
		await Promise.all([issuer?.stop(), stranger?.stop()]);
	});

	const mint = (sub: string, from: KeyServer = issuer) => {
		const token = from.mint(from.keys[0], { sub });
		tokens.push(token);
		return token;
	};

	it("serves a call through the gateway with the claims the service verified itself", async () => {
		const res = await get(`${gateway.url}/api/protected`, bearer(mint("through-gateway")));
		expect([res.status, (res.body.user as { sub?: string }).sub, (res.body.user as { iss?: string }).iss]).toEqual([200, "through-gateway", issuer.issuer]);
	});

	it("refuses a bus client's forged ctx.meta.user without a token before the handler runs", async () => {
		const before = handlerRuns;
		await expect(client.call("protected.get", {}, { meta: { user: { sub: "admin", roles: ["admin"] } } })).rejects.toMatchObject({
			name: "UnAuthorizedError",
			code: 401,
			type: "NO_TOKEN",
			data: { reason: "no_token" }
		});
		expect(handlerRuns).toBe(before);
	});

	it.each([
		["a garbage token", () => "not.a.token", "malformed"],
		["a token signed by another issuer's key", () => mint("stranger", stranger), "issuer_mismatch"]
	])("refuses forged claims with %s", async (_name, token, reason) => {
		await expect(client.call("protected.get", {}, { meta: { user: { sub: "admin" }, authToken: token() } })).rejects.toMatchObject({
			code: 401,
			type: "INVALID_TOKEN",
			data: { reason }
		});
	});

	it("replaces forged claims with the verified ones when the token is valid", async () => {
		const answer = (await client.call("protected.get", {}, { meta: { user: { sub: "admin", forged: true }, authToken: mint("real-user") } })) as { user: Record<string, unknown> };
		expect(answer.user.sub).toBe("real-user");
		expect(answer.user.forged).toBeUndefined();
	});

	it("lets anyone call an action declared auth: false", async () => {
		expect(await client.call("protected.open", {})).toBe("open");
	});

	it("honours a revocation broadcast by the gateways", async () => {
		const token = mint("revoked-on-service");
		expect(await client.call("protected.get", {}, { meta: { authToken: token } })).toMatchObject({ user: { sub: "revoked-on-service" } });
		await gateway.broker.call("api.revoke", { jti: claimOf(token, "jti") });
		const refused = async () => {
			try {
				await client.call("protected.get", {}, { meta: { authToken: token } });
				return false;
			} catch (err) {
				return (err as { data?: { reason?: string } }).data?.reason === "revoked";
			}
		};
		await waitFor(refused, 1000, 10);
		await expect(client.call("protected.get", {}, { meta: { authToken: token } })).rejects.toMatchObject({ type: "INVALID_TOKEN", data: { reason: "revoked" } });
	});

	it("writes no token in any log line of any node", () => {
		const text = logs.map(log => log.text).join("\n");
		expect(text.length).toBeGreaterThan(0);
		for (const token of tokens) {
			expect(text).not.toContain(token);
			expect(text).not.toContain(token.split(".")[2]);
		}
	});
});
