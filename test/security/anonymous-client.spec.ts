/**
 * What an anonymous client can make the gateway do (docs/CONTRACT.md, "Second round"), played as the
 * client over real sockets: bodies that cannot be decoded, bodies that never finish, a burst
 * of 503s and the log lines it causes. The verified-token cache under unknown-kid refetches is
 * in anonymous-refetch.spec.ts.
 */
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import type { ServiceSchema } from "moleculer";
import { parseAppConfig } from "../../services/app-config";
import { createApiService } from "../../services/api.service";
import { CaptureLogger } from "../support/capture-logger";
import { KeyServer } from "../support/key-server";
import { bearer, startGateway, waitFor, type Gateway } from "../support/gateway";
import { send } from "../support/attack-kit";

/** Any method with a body (fetch refuses one on GET); the status only. */
function statusOf(method: string, url: string, headers: Record<string, string>, body: Buffer | string): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = request(url, { method, headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) } }, res => {
			res.resume();
			resolve(res.statusCode ?? 0);
		});
		req.on("error", reject);
		req.end(body);
	});
}

jest.setTimeout(60_000);

const BODY_READ_TIMEOUT_MS = 500;

/** A raw connection that sends `head` and then one byte of body every 100 ms, and records what comes back. */
function trickle(port: number, head: string, piece = "x"): { socket: Socket; answer: () => string; closed: Promise<number> } {
	const socket = connect(port, "127.0.0.1");
	let received = "";
	const startedAt = Date.now();
	socket.on("data", chunk => (received += chunk.toString()));
	socket.on("error", () => undefined);
	socket.write(head);
	const timer = setInterval(() => socket.writable && socket.write(piece), 100);
	const closed = new Promise<number>(resolve =>
		socket.on("close", () => {
			clearInterval(timer);
			resolve(Date.now() - startedAt);
		})
	);
	return { socket, answer: () => received, closed };
}

describe("what an anonymous client can make the gateway do", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let port: number;
	const logger = new CaptureLogger("debug");

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "anon");
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_TIMEOUT: "300" }, { broker: { logger, logLevel: "debug" }, apiSettings: { bodyReadTimeout: BODY_READ_TIMEOUT_MS } });
		port = Number(new URL(gateway.url).port);
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	it("parses no body on any route: none of their actions takes one, and parsers would run before authorize", () => {
		const routes = (createApiService(parseAppConfig({ PORT: "0" })).settings as { routes: { path: string; bodyParsers?: unknown }[] }).routes;
		expect(routes.length).toBeGreaterThanOrEqual(3);
		expect(routes.map(route => [route.path, route.bodyParsers])).toEqual(routes.map(route => [route.path, false]));
	});

	const notGzip = Buffer.from("this is not gzip at all");
	const undecodable: [string, Record<string, string>, Buffer | string][] = [
		["gzip that is not gzip", { "Content-Encoding": "gzip", "Content-Type": "application/json" }, notGzip],
		["deflate that is not deflate", { "Content-Encoding": "deflate", "Content-Type": "application/json" }, notGzip],
		["an unknown encoding", { "Content-Encoding": "br, zstd, x-made-up", "Content-Type": "application/json" }, notGzip],
		["JSON that is not JSON", { "Content-Type": "application/json" }, "{not json"],
		["a gzip bomb", { "Content-Encoding": "gzip", "Content-Type": "application/json" }, gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20))]
	];

	it.each(undecodable)("answers %s with 4xx, with or without a token, never 5xx", async (_name, headers, body) => {
		const token = issuer.mint(issuer.keys[0]);
		for (const method of ["POST", "GET", "PUT"]) {
			const anonymous = await statusOf(method, `${gateway.url}/api/protected`, headers, body);
			expect([method, anonymous]).toEqual([method, method === "GET" ? 401 : 404]);
			// GET's action takes no body: it is not read, so it cannot fail to decode.
			const authorized = await statusOf(method, `${gateway.url}/api/protected`, { ...headers, ...bearer(token) }, body);
			expect([method, authorized]).toEqual([method, method === "GET" ? 200 : 404]);
		}
	});

	it("answers a request whose body never finishes before reading it, then cuts the connection at the read deadline", async () => {
		const token = issuer.mint(issuer.keys[0]);
		const clients = [
			trickle(port, "POST /api/protected HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"),
			trickle(port, "GET /api/protected HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\nx\r\n"),
			trickle(port, `GET /api/protected HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 100000\r\n\r\n`),
			...Array.from({ length: 200 }, () => trickle(port, "GET /api/protected HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"))
		];
		// Answered without waiting for the body: nothing is parsed before (or instead of) the token.
		await waitFor(() => clients.every(client => /^HTTP\/1.1 \d{3}/.test(client.answer())), 3000);
		expect(clients.slice(0, 3).map(client => client.answer().slice(9, 12))).toEqual(["404", "401", "200"]);
		const lifetimes = await Promise.all(clients.map(client => client.closed));
		// Cut by the gateway near the deadline (each client would trickle for minutes otherwise).
		expect(Math.max(...lifetimes)).toBeLessThan(BODY_READ_TIMEOUT_MS + 2500);
		expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(BODY_READ_TIMEOUT_MS - 50);
	});

	it("writes at most a few log lines a second per level for a burst of 503s, and says how many it suppressed", async () => {
		const token = issuer.mint(issuer.keys[0]);
		issuer.mode = "down";
		await gateway.broker.call("api.refreshKeys");
		const unknownKid = issuer.sign(issuer.keys[0] as NonNullable<(typeof issuer.keys)[0]>, { iss: issuer.issuer, exp: 9999999999 }, { kid: "not-published" });
		const before = logger.lines.length;
		const startedAt = Date.now();
		const answers = await Promise.all(Array.from({ length: 300 }, () => send("GET", `${gateway.url}/api/protected`, bearer(unknownKid))));
		expect(new Set(answers.map(answer => `${answer.status} ${answer.body.type}`))).toEqual(new Set(["503 JWKS_UNAVAILABLE"]));
		expect(answers.every(answer => /^\d+$/.test(answer.headers.get("retry-after") ?? ""))).toBe(true);
		const burst = logger.lines.slice(before).filter(line => /request_(rejected|failed)|Request error/.test(line.text));
		const byLevel = (level: string) => burst.filter(line => line.level === level).length;
		// A bucket of 10 lines, refilled at 10 a second, per level.
		const bound = 10 + Math.ceil(((Date.now() - startedAt) / 1000) * 10);
		expect(byLevel("info")).toBeLessThanOrEqual(bound);
		expect(byLevel("error")).toBeLessThanOrEqual(bound);
		expect(byLevel("error")).toBeGreaterThan(0);
		expect(logger.lines.slice(before).some(line => line.text.includes("Request error"))).toBe(false);
		await new Promise(resolve => setTimeout(resolve, 1100));
		await send("GET", `${gateway.url}/api/protected`, bearer(unknownKid));
		const next = logger.lines.slice(before).filter(line => line.level === "error" && line.text.includes("request_failed")).at(-1);
		expect(next?.args[0]).toMatchObject({ event: "request_failed", type: "JWKS_UNAVAILABLE", suppressedBefore: expect.any(Number) });
		expect(logger.text).not.toContain(unknownKid.split(".")[2]);
		expect(logger.text).not.toContain(token.split(".")[2]);
		issuer.mode = "up";
	});
});

describe("a slow body to an action that has not answered yet", () => {
	it("is answered 408 at the read deadline and its connection closed", async () => {
		const issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "slow");
		const slowProtected: ServiceSchema = { name: "protected", actions: { get: () => new Promise(resolve => setTimeout(() => resolve({ late: true }), 3000)) } };
		const gateway = await startGateway({ JWT_ISSUER: issuer.issuer }, { services: [slowProtected], apiSettings: { bodyReadTimeout: BODY_READ_TIMEOUT_MS } });
		try {
			const head = `GET /api/protected HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${issuer.mint(issuer.keys[0])}\r\nContent-Length: 100000\r\n\r\n`;
			const client = trickle(Number(new URL(gateway.url).port), head);
			const lifetime = await client.closed;
			expect(client.answer()).toMatch(/^HTTP\/1.1 408 [\s\S]*"type":"BODY_TIMEOUT"/);
			expect(lifetime).toBeLessThan(3000);
		} finally {
			await gateway.stop();
			await issuer.stop();
		}
	});
});
