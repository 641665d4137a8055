/**
 * Cluster faults over the real NATS server, with the broker options of moleculer.config.ts:
 * a protected node leaving under load, all of them leaving and one coming back, two gateways,
 * and a node finishing its in-flight requests before it leaves.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import brokerConfig from "../../moleculer.config";
import { parseAppConfig } from "../../services/app-config";
import { createApiService } from "../../services/api.service";
import ProtectedService from "../../services/protected.service";
import { KeyServer } from "../support/key-server";
import { bearer, get, waitFor } from "../support/gateway";
import { NATS_URL, uniqueNamespace } from "../support/nats";
import { describeWithNats } from "../support/nats-gate";

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describeWithNats()("cluster faults over NATS", () => {
	let issuer: KeyServer;
	let namespace: string;
	const brokers: ServiceBroker[] = [];

	function node(nodeID: string, schemas: ServiceSchema[]): ServiceBroker {
		const broker = new ServiceBroker({ ...brokerConfig, namespace, nodeID, transporter: { type: "NATS", options: { servers: [NATS_URL] } }, logger: false, metrics: false });
		for (const schema of schemas) broker.createService(schema);
		brokers.push(broker);
		return broker;
	}

	function gatewayUrl(broker: ServiceBroker): string {
		const api = broker.getLocalService("api") as unknown as { server: { address(): { port: number } } };
		return `http://127.0.0.1:${api.server.address().port}`;
	}

	function gatewaySchema(): ServiceSchema {
		return createApiService(parseAppConfig({ PORT: "0", JWT_ISSUER: issuer.issuer }));
	}

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "faults");
	});

	beforeEach(() => {
		namespace = uniqueNamespace("faults");
	});

	afterEach(async () => {
		await Promise.all(brokers.splice(0).map(b => b.stop().catch(() => undefined)));
	});

	afterAll(async () => {
		await issuer.stop();
	});

	/** Requests with `concurrency` in flight until `stop()`; returns every status seen. */
	function load(url: string, token: string, concurrency = 8) {
		const statuses: number[] = [];
		let running = true;
		const done = Promise.all(
			Array.from({ length: concurrency }, async () => {
				while (running) statuses.push((await get(`${url}/api/protected`, bearer(token))).status);
			})
		);
		return { statuses, stop: async () => ((running = false), await done) };
	}

	it("loses no request when one of two protected nodes stops under load", async () => {
		const gw = node("gw", [gatewaySchema()]);
		const svc1 = node("svc-1", [ProtectedService]);
		node("svc-2", [ProtectedService]);
		await Promise.all(brokers.map(b => b.start()));
		await gw.waitForServices(["protected"], 15_000);
		await waitFor(() => gw.registry.getActionEndpoints("protected.get")?.count() === 2, 15_000);
		const url = gatewayUrl(gw);
		await waitFor(async () => (await get(`${url}/health/ready`)).status === 200);
		const traffic = load(url, issuer.mint(issuer.keys[0]));
		await sleep(700);
		await svc1.stop();
		await sleep(1000);
		await traffic.stop();
		const failed = traffic.statuses.filter(status => status !== 200);
		process.stdout.write(`  one node stopped under load: ${traffic.statuses.length} requests, ${failed.length} failed\n`);
		expect(traffic.statuses.length).toBeGreaterThan(100);
		expect(failed).toEqual([]);
	});

	it("answers 503 quickly when no protected node is left, and serves again when one comes back", async () => {
		const gw = node("gw", [gatewaySchema()]);
		const svc = node("svc", [ProtectedService]);
		await Promise.all([gw.start(), svc.start()]);
		await gw.waitForServices(["protected"], 15_000);
		const url = gatewayUrl(gw);
		const token = issuer.mint(issuer.keys[0]);
		await waitFor(async () => (await get(`${url}/api/protected`, bearer(token))).status === 200);
		await svc.stop();
		await waitFor(() => !gw.registry.getServiceList({ onlyAvailable: true }).some(service => service.name === "protected"), 5000);
		const startedAt = Date.now();
		const res = await get(`${url}/api/protected`, bearer(token));
		expect([res.status, res.body.type, Date.now() - startedAt < 1000]).toEqual([503, "SERVICE_UNAVAILABLE", true]);
		node("svc-back", [ProtectedService]);
		await (brokers.at(-1) as ServiceBroker).start();
		await waitFor(async () => (await get(`${url}/api/protected`, bearer(token))).status === 200, 15_000, 100);
	});

	it("lets two gateway nodes serve the same tokens", async () => {
		const gw1 = node("gw-1", [gatewaySchema()]);
		const gw2 = node("gw-2", [gatewaySchema()]);
		node("svc", [ProtectedService]);
		await Promise.all(brokers.map(b => b.start()));
		await Promise.all([gw1.waitForServices(["protected"], 15_000), gw2.waitForServices(["protected"], 15_000)]);
		const token = issuer.mint(issuer.keys[0], { sub: "shared" });
		for (const gw of [gw1, gw2]) {
			const url = gatewayUrl(gw);
			await waitFor(async () => (await get(`${url}/health/ready`)).status === 200);
			const res = await get(`${url}/api/protected`, bearer(token));
			expect([res.status, (res.body.user as Record<string, unknown>).sub]).toEqual([200, "shared"]);
		}
	});

	it("finishes in-flight requests before a stopping node leaves", async () => {
		const slowProtected: ServiceSchema = {
			name: "protected",
			actions: {
				async get(ctx) {
					await sleep(1000);
					return { message: "Access granted", user: (ctx.meta as { user?: unknown }).user };
				}
			}
		};
		const gw = node("gw", [gatewaySchema()]);
		const svc = node("svc", [slowProtected]);
		await Promise.all([gw.start(), svc.start()]);
		await gw.waitForServices(["protected"], 15_000);
		const url = gatewayUrl(gw);
		await waitFor(async () => (await get(`${url}/health/ready`)).status === 200);
		const inFlight = Promise.all(Array.from({ length: 5 }, () => get(`${url}/api/protected`, bearer(issuer.mint(issuer.keys[0])))));
		await sleep(300);
		const stopping = svc.stop();
		const answers = await inFlight;
		await stopping;
		expect(answers.map(a => a.status)).toEqual([200, 200, 200, 200, 200]);
	});
});
