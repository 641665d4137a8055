/**
 * WEB_CONCURRENCY=2 as a user runs it (`npm run serve`, that is `node bin/serve.js`, after a build): two gateway processes on
 * one port, each a node of its own with its own key store and its own metrics port.
 */
import { request } from "node:http";
import { KeyServer } from "../support/key-server";
import { freePort, get, waitFor } from "../support/gateway";
import { run } from "../support/process";

jest.setTimeout(90_000);

/** One request on a connection of its own, so that the cluster's primary hands each to a worker in turn. */
function freshConnectionGet(url: string, token: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = request(url, { agent: false, headers: { Authorization: `Bearer ${token}`, Connection: "close" } }, res => {
			res.resume();
			res.on("end", () => resolve(res.statusCode ?? 0));
		});
		req.on("error", reject);
		req.end();
	});
}

function served(metrics: string): number {
	const line = metrics.split("\n").find(text => text.startsWith("http_requests_total{") && text.includes('route="GET /api/protected"') && text.includes('status="200"'));
	return line === undefined ? 0 : Number(line.split(" ").pop());
}

function nodeIdOf(metrics: string): string {
	return /nodeID="([^"]+)"/.exec(metrics)?.[1] ?? "";
}

describe("WEB_CONCURRENCY=2", () => {
	it("runs two gateway processes on one port; both answer, each with its own node id and metrics port", async () => {
		const issuer = await new KeyServer().start();
		const key = issuer.addKey("RS256", "workers");
		const [port, metricsPort] = [await freePort(), await freePort()];
		// METRICS_PORT + 1 must be free too: the second worker's.
		const app = run("node", ["bin/serve.js"], { WEB_CONCURRENCY: "2", PORT: String(port), METRICS_PORT: String(metricsPort), JWT_ISSUER: issuer.issuer, NODE_ENV: "production" });
		try {
			const url = `http://127.0.0.1:${port}`;
			const scrape = async (offset: number): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort + offset}/metrics`)).text();
			await waitFor(async () => (await scrape(0)).length > 0 && (await scrape(1)).length > 0, 30_000, 200);
			await waitFor(async () => (await get(`${url}/health/ready`)).status === 200, 30_000, 100);
			// Each worker fetched the keys itself.
			await waitFor(() => issuer.jwksFetches >= 2, 10_000, 100);

			const token = issuer.mint(key, { sub: "worker-test" });
			const statuses = [];
			for (let i = 0; i < 40; i++) statuses.push(await freshConnectionGet(`${url}/api/protected`, token));
			expect(statuses).toEqual(Array(40).fill(200));

			const [first, second] = [await scrape(0), await scrape(1)];
			expect(nodeIdOf(first)).not.toBe(nodeIdOf(second));
			expect([served(first) > 0, served(second) > 0]).toEqual([true, true]);
			expect(served(first) + served(second)).toBe(40);
		} finally {
			expect(await app.stop()).toBe(0);
			await issuer.stop();
		}
	});
});
