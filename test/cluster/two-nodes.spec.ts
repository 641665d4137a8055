/**
 * `api` and `protected` on different nodes: the claims the gateway verified cross the
 * transporter in ctx.meta.user. In-process brokers over TCP and the real NATS server, and
 * the built output started as separate processes with SERVICES=api / SERVICES=protected.
 */
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { parseAppConfig } from "../../services/app-config";
import { createApiService } from "../../services/api.service";
import ProtectedService from "../../services/protected.service";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get, waitFor } from "../support/gateway";
import { NATS_URL, uniqueNamespace } from "../support/nats";
import { describeWithNats } from "../support/nats-gate";
import { run, type Running } from "../support/process";

jest.setTimeout(90_000);

let issuer: KeyServer;

beforeAll(async () => {
	issuer = await new KeyServer().start();
	issuer.addKey("EdDSA", "cluster-ed");
});

afterAll(async () => {
	await issuer.stop();
});

async function tcpTransporter(): Promise<[BrokerOptions["transporter"], BrokerOptions["transporter"]]> {
	const [gwPort, svcPort] = [await freePort(), await freePort()];
	const urls = `127.0.0.1:${gwPort}/gw,127.0.0.1:${svcPort}/svc`;
	return [
		{ type: "TCP", options: { udpDiscovery: false, port: gwPort, urls } },
		{ type: "TCP", options: { udpDiscovery: false, port: svcPort, urls } }
	];
}

async function natsTransporter(): Promise<[BrokerOptions["transporter"], BrokerOptions["transporter"]]> {
	const nats = { type: "NATS" as const, options: { servers: [NATS_URL] } };
	return [nats, nats];
}

for (const [name, transporters, suite] of [
	["TCP", tcpTransporter, describe],
	["NATS", natsTransporter, describeWithNats()]
] as const) suite(`two brokers over ${name}`, () => {
	let gw: ServiceBroker | undefined;
	let svc: ServiceBroker | undefined;
	let url = "";

	beforeAll(async () => {
		const [gwTransporter, svcTransporter] = await transporters();
		const namespace = uniqueNamespace(`two-nodes-${name}`);
		gw = new ServiceBroker({ namespace, nodeID: "gw", transporter: gwTransporter, logger: false });
		svc = new ServiceBroker({ namespace, nodeID: "svc", transporter: svcTransporter, logger: false });
		const api = gw.createService(createApiService(parseAppConfig({ PORT: "0", JWT_ISSUER: issuer.issuer })));
		svc.createService(ProtectedService);
		await Promise.all([gw.start(), svc.start()]);
		await gw.waitForServices(["protected"], 15_000);
		url = `http://127.0.0.1:${(api as unknown as { server: { address(): { port: number } } }).server.address().port}`;
		await waitFor(async () => (await get(`${url}/health/ready`)).status === 200);
	});

	afterAll(async () => {
		await Promise.all([gw?.stop(), svc?.stop()]);
	});

	it("serves GET /api/protected from the other node with the verified claims", async () => {
		if (!gw) throw new Error("the gateway did not start");
		const res = await get(`${url}/api/protected`, bearer(issuer.mint(issuer.keys[0], { sub: `over-${name}`, scope: "read:things" })));
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ message: "Access granted", user: { sub: `over-${name}`, iss: issuer.issuer } });
		expect(gw.registry.getServiceList({ onlyLocal: true }).map(s => s.name)).not.toContain("protected");
	});
});

describeWithNats()("split nodes from the built output over NATS (SERVICES=api / SERVICES=protected)", () => {
	const nodes: Running[] = [];
	let port = 0;
	let ready = false;

	beforeAll(async () => {
		port = await freePort();
		const common = { TRANSPORTER: NATS_URL, NAMESPACE: uniqueNamespace("split"), SERVICEDIR: "dist/services", METRICS: "false", JWT_ISSUER: issuer.issuer };
		const runner = ["node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"];
		nodes.push(run("node", runner, { ...common, SERVICES: "protected", NODEID: "svc-node" }));
		nodes.push(run("node", runner, { ...common, SERVICES: "api", NODEID: "api-node", PORT: String(port) }));
		await waitFor(async () => (await get(`http://127.0.0.1:${port}/api/protected`, bearer(issuer.mint(issuer.keys[0])))).status === 200, 30_000, 200);
		ready = true;
	});

	afterAll(async () => {
		await Promise.all(nodes.map(node => node.stop()));
	});

	it("serves the protected action on another process with the claims that crossed NATS", async () => {
		expect(ready).toBe(true);
		const res = await get(`http://127.0.0.1:${port}/api/protected`, bearer(issuer.mint(issuer.keys[0], { sub: "split-user" })));
		expect(res.status).toBe(200);
		expect((res.body.user as Record<string, unknown>).sub).toBe("split-user");
		expect(nodes[0]?.text).toMatch(/'protected' service is registered/);
		expect(nodes[0]?.text).not.toMatch(/API Gateway listening/);
		expect(nodes[1]?.text).not.toMatch(/'protected' service is registered/);
	});
});
