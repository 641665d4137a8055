/**
 * The transporter trusts nothing unproven, tested for real: a nats-server of the test's own
 * requires a user and password and TLS (certificates the test generates). A gateway node and a
 * service node, the built output started by moleculer-runner, are configured only from the
 * environment (TRANSPORTER with the credentials, NODE_EXTRA_CA_CERTS naming the CA) and serve a
 * request together; a node without the password, with a wrong one, or that cannot verify the
 * server's certificate never joins.
 */
import { ServiceBroker } from "moleculer";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get, waitFor } from "../support/gateway";
import { uniqueNamespace } from "../support/nats";
import { run, type Running } from "../support/process";
import { describeWithNatsServer, startSecureNats, type SecureNats } from "../support/secure-nats";

jest.setTimeout(90_000);

const RUNNER = ["node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"];

interface Connz {
	connections: { name?: string; tls_version?: string; authorized_user?: string }[];
}

describeWithNatsServer()("transporter trust: NATS with a user, a password and TLS", () => {
	let nats: SecureNats;
	let issuer: KeyServer;
	let observer: ServiceBroker;
	let port = 0;
	const nodes: Running[] = [];
	const namespace = uniqueNamespace("trust");

	const url = (credentials: string) => `nats://${credentials}127.0.0.1:${nats.port}`;
	const node = (nodeID: string, services: string, env: Record<string, string>) => {
		const running = run("node", RUNNER, { NAMESPACE: namespace, NODEID: nodeID, SERVICEDIR: "dist/services", SERVICES: services, METRICS: "false", JWT_ISSUER: issuer.issuer, ...env });
		nodes.push(running);
		return running;
	};

	beforeAll(async () => {
		nats = await startSecureNats();
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "trust");
		port = await freePort();
		const trusted = { TRANSPORTER: url(`${nats.user}:${nats.password}@`), NODE_EXTRA_CA_CERTS: nats.caFile };
		node("svc-trusted", "protected", trusted);
		node("gw-trusted", "api", { ...trusted, PORT: String(port) });
		// A broker of the test's own with the credentials watches who joins.
		observer = new ServiceBroker({
			namespace,
			nodeID: "observer",
			logger: false,
			transporter: { type: "NATS", options: { url: url(`${nats.user}:${nats.password}@`), tls: { caFile: nats.caFile } } }
		});
		await observer.start();
	});

	afterAll(async () => {
		await Promise.all(nodes.map(n => n.stop()));
		await observer?.stop();
		await issuer?.stop();
		await nats?.stop();
	});

	it("serves a request through the gateway node and the service node over TLS with the credentials", async () => {
		await waitFor(async () => (await get(`http://127.0.0.1:${port}/api/protected`, bearer(issuer.mint(issuer.keys[0])))).status === 200, 45_000, 250);
		const res = await get(`http://127.0.0.1:${port}/api/protected`, bearer(issuer.mint(issuer.keys[0], { sub: "over-tls" })));
		expect([res.status, (res.body.user as { sub?: string }).sub]).toEqual([200, "over-tls"]);
		const connz = (await (await fetch(`http://127.0.0.1:${nats.monitorPort}/connz?auth=1`)).json()) as Connz;
		expect(connz.connections.length).toBeGreaterThanOrEqual(3);
		for (const connection of connz.connections) {
			expect(connection.tls_version).toMatch(/^1\.[23]$/);
			expect(connection.authorized_user).toBe(nats.user);
		}
		// moleculer-runner's TRANSPORTER carries the password: no node may print it.
		for (const running of nodes) expect(running.text).not.toContain(nats.password);
	});

	it.each([
		["without credentials", () => ({ TRANSPORTER: url(""), NODE_EXTRA_CA_CERTS: nats.caFile }), /Authorization Violation/i],
		["with a wrong password", () => ({ TRANSPORTER: url(`${nats.user}:wrong@`), NODE_EXTRA_CA_CERTS: nats.caFile }), /Authorization Violation/i],
		["that cannot verify the server's certificate", () => ({ TRANSPORTER: url(`${nats.user}:${nats.password}@`) }), /NATS error\. unable to verify the first certificate|unable to get local issuer certificate/]
	])("keeps out a node %s", async (_name, env, failure) => {
		const nodeID = `intruder-${nodes.length}`;
		const intruder = node(nodeID, "protected", env());
		await intruder.waitFor(failure, 30_000);
		// Given time to join had it been able to, it is still unknown to the cluster.
		await new Promise(resolve => setTimeout(resolve, 1500));
		expect(observer.registry.getNodeList({ onlyAvailable: false, withServices: false }).map(n => n.id)).not.toContain(nodeID);
		expect(observer.registry.getNodeList({ onlyAvailable: true, withServices: false }).map(n => n.id).sort()).toEqual(["gw-trusted", "observer", "svc-trusted"]);
		expect(intruder.text).not.toContain(nats.password);
		await intruder.stop();
	});
});
