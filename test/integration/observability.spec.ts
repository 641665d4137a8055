/**
 * What operators see: Prometheus metrics after real traffic, rejection log lines (rate-limited,
 * never the token), request ids, tracing spans, and JSON logs in production.
 */
import { randomUUID } from "node:crypto";
import type { ServiceSchema } from "moleculer";
import { CaptureLogger } from "../support/capture-logger";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get, startGateway, waitFor, type Gateway } from "../support/gateway";
import ProtectedService from "../../services/protected.service";
import { run } from "../support/process";

jest.setTimeout(60_000);

function sample(metrics: string, name: string, labels: Record<string, string>): number {
	const line = metrics
		.split("\n")
		.find(l => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
	return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

describe("metrics, logs and tracing", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let metricsUrl: string;
	const logger = new CaptureLogger();
	const spans: string[] = [];

	const spanCollector: ServiceSchema = {
		name: "span-collector",
		events: {
			"$tracing.spans"(ctx: { params: Array<{ name: string }> }) {
				spans.push(...ctx.params.map(span => span.name));
			}
		}
	};

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "obs");
		const metricsPort = await freePort();
		metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
		gateway = await startGateway(
			{ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0" },
			{
				services: [ProtectedService, spanCollector],
				broker: {
					logger,
					metrics: { enabled: true, reporter: { type: "Prometheus", options: { port: metricsPort } } },
					tracing: { enabled: true, exporter: { type: "Event", options: { interval: 0, sendStartSpan: false, sendFinishSpan: true } } }
				}
			}
		);
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	it("counts outcomes by reason, cache hits and key fetches", async () => {
		const url = `${gateway.url}/api/protected`;
		const token = issuer.mint(issuer.keys[0]);
		// Verified twice (cached from the second time on), then a hit.
		for (let i = 0; i < 3; i++) expect((await get(url, bearer(token))).status).toBe(200);
		expect((await get(url, bearer(issuer.mint(issuer.keys[0], { expiresIn: -60 })))).status).toBe(401);
		expect((await get(url, bearer(issuer.sign(issuer.keys[0], { iss: issuer.issuer, exp: 9999999999 }, { kid: "unseen" })))).status).toBe(401);
		const metrics = await (await fetch(metricsUrl)).text();
		expect(sample(metrics, "jwt_verifications_total", { result: "accepted", reason: "none" })).toBe(3);
		expect(sample(metrics, "jwt_verifications_total", { result: "rejected", reason: "expired" })).toBe(1);
		expect(sample(metrics, "jwt_verifications_total", { result: "rejected", reason: "unknown_key" })).toBe(1);
		expect(sample(metrics, "jwt_token_cache_lookups_total", { result: "hit" })).toBe(1);
		expect(sample(metrics, "jwt_token_cache_lookups_total", { result: "miss" })).toBe(4);
		expect(sample(metrics, "jwks_fetches_total", { issuer: issuer.issuer, cause: "startup", result: "ok" })).toBe(1);
		expect(sample(metrics, "jwks_fetches_total", { issuer: issuer.issuer, cause: "unknown_kid", result: "ok" })).toBe(1);
		expect(sample(metrics, "jwks_unknown_kid_refetches_total", { issuer: issuer.issuer })).toBe(1);
		// Three signatures were checked (the unknown kid never reached one), on an idle thread each.
		expect(sample(metrics, "jwt_signature_checks_total", { on: "threads" })).toBe(3);
		expect(sample(metrics, "jwt_signature_checks_total", { on: "event_loop" })).toBe(0);
		expect(sample(metrics, "jwt_signature_checks_total", { on: "thread_pool" })).toBe(0);
		expect(metrics).toMatch(/jwt_signature_checks_total\{[^}]*on="event_loop"[^}]*\} 0/);
		expect(metrics).toMatch(/jwks_key_set_age_seconds\{[^}]*issuer="[^"]+"[^}]*\} \d/);
		expect(metrics).toMatch(/jwt_verification_duration_seconds_bucket\{[^}]*result="accepted"/);
	});

	it("logs one line per rejected request with reason, issuer, kid and request id, never the token", async () => {
		const token = issuer.mint(issuer.keys[0], { expiresIn: -120 });
		const requestID = `req-${randomUUID()}`;
		await get(`${gateway.url}/api/protected`, { ...bearer(token), "X-Request-ID": requestID });
		const line = logger.lines.find(l => l.text.includes(requestID));
		expect(line?.level).toBe("info");
		expect(line?.args[0]).toMatchObject({ event: "request_rejected", reason: "expired", issuer: issuer.issuer, kid: "obs", requestID });
		expect(logger.text).not.toContain(token);
		expect(logger.text).not.toContain(token.split(".")[2]);
	});

	it("rate-limits rejection log lines under a flood and counts what it did not log", async () => {
		const before = logger.lines.filter(l => l.text.includes("request_rejected")).length;
		const startedAt = Date.now();
		await Promise.all(Array.from({ length: 200 }, () => get(`${gateway.url}/api/protected`, bearer("garbage.token.here"))));
		const logged = logger.lines.filter(l => l.text.includes("request_rejected")).length - before;
		// A bucket of 10 lines refilled at 10 a second (the flood's length depends on the machine).
		expect(logged).toBeLessThanOrEqual(10 + Math.ceil(((Date.now() - startedAt) / 1000) * 10));
		const metrics = await (await fetch(metricsUrl)).text();
		expect(metrics).toMatch(/jwt_rejection_log_lines_suppressed_total\{[^}]*\} (1[89]\d|1[0-9]{2})/);
		expect(sample(metrics, "jwt_verifications_total", { result: "rejected", reason: "malformed" })).toBeGreaterThanOrEqual(200);
	});

	it("echoes a short safe X-Request-ID and replaces an unsafe one", async () => {
		const safe = await get(`${gateway.url}/health/live`, { "X-Request-ID": "abc-123" });
		expect(safe.status).toBe(200);
		const viaApi = await get(`${gateway.url}/api/protected`, { "X-Request-ID": "abc-123" });
		expect(viaApi.headers.get("x-request-id")).toBe("abc-123");
		const unsafe = await get(`${gateway.url}/api/protected`, { "X-Request-ID": `<script>${"x".repeat(100)}` });
		expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
		// X-Correlation-ID wins over X-Request-ID in moleculer-web; an unsafe one is dropped the same way.
		const correlated = await get(`${gateway.url}/api/protected`, { "X-Correlation-ID": "corr-1", "X-Request-ID": "abc-123" });
		expect(correlated.headers.get("x-request-id")).toBe("corr-1");
		const unsafeCorrelation = await get(`${gateway.url}/api/protected`, { "X-Correlation-ID": "a b\u00e9", "X-Request-ID": "abc-123" });
		expect(unsafeCorrelation.headers.get("x-request-id")).toBe("abc-123");
		const bothUnsafe = await get(`${gateway.url}/api/protected`, { "X-Correlation-ID": "x".repeat(65), "X-Request-ID": "a/b" });
		expect(bothUnsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
	});

	it("records spans for verification and key fetches", async () => {
		await get(`${gateway.url}/api/protected`, bearer(issuer.mint(issuer.keys[0])));
		await gateway.broker.call("api.refreshKeys");
		await waitFor(() => spans.includes("jwt.verify") && spans.includes("jwks.fetch"), 5000);
	});
});

describe("production logs", () => {
	it("are JSON lines from Moleculer's Pino logger", async () => {
		const issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "p");
		const runner = ["node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"];
		const app = run("node", runner, { NODE_ENV: "production", SERVICEDIR: "dist/services", PORT: String(await freePort()), METRICS: "false", JWT_ISSUER: issuer.issuer });
		try {
			await app.waitFor(/Fetched the key set of/);
			const lines = app.text.split("\n").filter(l => l.trim().startsWith("{"));
			expect(lines.length).toBeGreaterThan(3);
			const fetched = lines.map(l => JSON.parse(l) as Record<string, unknown>).find(l => String(l.msg).startsWith("Fetched the key set"));
			expect(fetched).toMatchObject({ level: 30, mod: "api" });
		} finally {
			await app.stop();
			await issuer.stop();
		}
	});
});
