/**
 * What the metrics port tells whoever can reach it, on the gateway as it ships (npm run serve's
 * command on the build): the gateway's series, and nothing about the host (Moleculer's own
 * process and OS series carry the host name, user, home directory, addresses, MAC and the
 * process arguments). METRICS_HOST picks the interface it listens on.
 */
import { networkInterfaces, userInfo, homedir, hostname } from "node:os";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get, waitFor } from "../support/gateway";
import { run } from "../support/process";
import { serveCommand } from "../support/serve-command";

jest.setTimeout(60_000);

/** This machine's non-loopback IPv4 addresses and every MAC it has. */
function hostAddresses(): { ipv4: string[]; macs: string[] } {
	const all = Object.values(networkInterfaces()).flatMap(list => list ?? []);
	return {
		ipv4: all.filter(i => i.family === "IPv4" && !i.internal).map(i => i.address),
		macs: all.map(i => i.mac).filter(mac => mac !== "00:00:00:00:00:00")
	};
}

/** Every label value of every series. */
function labelValues(metrics: string): string[] {
	return [...metrics.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map(match => match[1] as string);
}

describe("the metrics endpoint as shipped", () => {
	const serve = serveCommand();
	let issuer: KeyServer;
	let app: ReturnType<typeof run>;
	let port: number;
	let metricsPort: number;
	let key: ReturnType<KeyServer["addKey"]>;

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		key = issuer.addKey("RS256", "metrics");
		[port, metricsPort] = [await freePort(), await freePort()];
		app = run("node", [...serve.nodeFlags, serve.script], {
			NODE_ENV: "production",
			NODEID: "metrics-test",
			JWT_ISSUER: issuer.issuer,
			PORT: String(port),
			METRICS_PORT: String(metricsPort),
			METRICS_HOST: "127.0.0.1"
		});
		await waitFor(async () => (await get(`http://127.0.0.1:${port}/health/ready`)).status === 200, 30_000, 100);
	});

	afterAll(async () => {
		await app.stop();
		await issuer.stop();
	});

	it("serves the gateway's series: HTTP requests by route and status, the auth series, the process", async () => {
		await waitFor(async () => (await get(`http://127.0.0.1:${port}/api/protected`, bearer(issuer.mint(key)))).status === 200, 10_000, 100);
		await get(`http://127.0.0.1:${port}/api/protected`);
		const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
		expect(metrics).toMatch(/^http_requests_total\{[^}]*route="GET \/api\/protected",status="200"\} [1-9]/m);
		expect(metrics).toMatch(/^http_requests_total\{[^}]*route="GET \/api\/protected",status="401"\} 1$/m);
		// Moleculer's reporter writes a histogram as its buckets, +Inf being the count.
		expect(metrics).toMatch(/^http_request_duration_seconds_bucket\{[^}]*route="GET \/api\/protected",le="\+Inf"\} [1-9]/m);
		// In seconds: each of the few requests above took far less than a second. (Moleculer's
		// reporter writes a histogram's _sum and _count only with quantiles.)
		const bucket = (le: string) => Number(new RegExp(`^http_request_duration_seconds_bucket\\{[^}]*route="GET /api/protected",le="${le.replace(/[+.]/g, "\\$&")}"\\} (\\d+)$`, "m").exec(metrics)?.[1]);
		expect(bucket("+Inf")).toBeGreaterThanOrEqual(2);
		expect(bucket("1")).toBe(bucket("+Inf"));
		expect(metrics).toMatch(/^jwt_verifications_total\{[^}]*result="accepted",reason="none"\} [1-9]/m);
		expect(metrics).toMatch(/^process_resident_memory_bytes\{[^}]*\} [1-9]/m);
		// Moleculer's per-call series are off by default (METRICS_ACTIONS=true brings them back).
		expect(metrics).not.toContain("moleculer_request_total");
	});

	it("carries no host identity: no host name, user, home directory, address, MAC or process argument", async () => {
		const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
		const values = labelValues(metrics);
		expect(values.length).toBeGreaterThan(10);
		const { ipv4, macs } = hostAddresses();
		const secrets = [hostname(), userInfo().username, homedir(), ...ipv4, ...macs, ...serve.nodeFlags, serve.script];
		for (const secret of secrets) {
			expect({ secret, inLabel: values.some(value => value === secret || value.includes(secret)) }).toEqual({ secret, inLabel: false });
		}
		expect(metrics).not.toMatch(/^os_/m);
	});

	it("listens on METRICS_HOST only", async () => {
		const { ipv4 } = hostAddresses();
		expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
		for (const address of ipv4) await expect(fetch(`http://${address}:${metricsPort}/metrics`)).rejects.toThrow();
	});
});
