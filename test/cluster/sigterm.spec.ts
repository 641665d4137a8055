/**
 * Graceful shutdown as moleculer-runner does it: SIGTERM to a built gateway node while
 * requests are in flight; every one of them is answered before the process leaves.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get, waitFor } from "../support/gateway";
import { NATS_URL, uniqueNamespace } from "../support/nats";
import { describeWithNats } from "../support/nats-gate";
import { run } from "../support/process";

jest.setTimeout(60_000);

const slowProtected: ServiceSchema = {
	name: "protected",
	actions: {
		async get(ctx) {
			await new Promise(resolve => setTimeout(resolve, 1500));
			return { message: "Access granted", user: (ctx.meta as { user?: unknown }).user };
		}
	}
};

describeWithNats()("a gateway node over NATS", () => {
	it("answers every in-flight request before a gateway node leaves on SIGTERM", async () => {
		const issuer = await new KeyServer().start();
		const key = issuer.addKey("EdDSA", "sigterm");
		const namespace = uniqueNamespace("sigterm");
		const svc = new ServiceBroker({ namespace, nodeID: "svc", transporter: { type: "NATS", options: { servers: [NATS_URL] } }, logger: false });
		svc.createService(slowProtected);
		await svc.start();
		const port = await freePort();
		const gateway = run("node", ["node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"], {
			SERVICEDIR: "dist/services",
			SERVICES: "api",
			NODEID: "gw",
			NAMESPACE: namespace,
			TRANSPORTER: NATS_URL,
			PORT: String(port),
			METRICS: "false",
			JWT_ISSUER: issuer.issuer
		});
		try {
			const url = `http://127.0.0.1:${port}`;
			await waitFor(async () => (await get(`${url}/health/ready`)).status === 200, 20_000, 100);
			await waitFor(async () => (await get(`${url}/api/protected`, bearer(issuer.mint(key)))).status === 200, 20_000, 100);
			const inFlight = Promise.all(Array.from({ length: 5 }, () => get(`${url}/api/protected`, bearer(issuer.mint(key, { sub: "in-flight" })))));
			await new Promise(resolve => setTimeout(resolve, 300));
			gateway.child.kill("SIGTERM");
			const answers = await inFlight;
			expect(answers.map(answer => [answer.status, (answer.body.user as { sub?: string } | undefined)?.sub])).toEqual(Array(5).fill([200, "in-flight"]));
			expect(await gateway.wait()).toBe(0);
		} finally {
			await gateway.stop();
			await svc.stop();
			await issuer.stop();
		}
	});
});
