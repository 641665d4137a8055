/**
 * The project as a new user meets it: `npm start` on the development issuer, the printed curl
 * pasted into a shell, an external issuer, and configuration errors stopping the process.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get } from "../support/gateway";
import { run, type Running } from "../support/process";
import { defaultThreadCount, THREAD_NAME } from "../../lib/auth/signatures/signature-threads";

const sh = promisify(execFile);
/** What `npm run serve` and the Docker image run: moleculer-runner with dist/moleculer.config.js. */
const RUNNER = ["bin/serve.js"];

/** Threads of process `pid` with this name (a worker's `name` becomes its thread's). */
function threadsNamed(pid: number, name: string): number {
	return readdirSync(`/proc/${pid}/task`).filter(task => readFileSync(`/proc/${pid}/task/${task}/comm`, "utf8").trim() === name).length;
}

jest.setTimeout(90_000);

describe("npm start on the development issuer", () => {
	let app: Running;
	let port: number;

	beforeAll(async () => {
		port = await freePort();
		app = run("npm", ["start"], { PORT: String(port), METRICS_PORT: "0" });
		await app.waitFor(/Fetched the key set of http:\/\/127\.0\.0\.1:\d+\/__dev\/issuer/, 60_000);
	});

	afterAll(async () => {
		await app.stop();
	});

	it("prints its issuer URL and a curl that answers 200 with the claims when pasted", async () => {
		expect(app.text).toContain(`Development issuer: http://127.0.0.1:${port}/__dev/issuer`);
		const [, curl] = await app.waitFor(/Try it: (curl -H "Authorization: Bearer [A-Za-z0-9_.-]+" http:\/\/localhost:\d+\/api\/protected)/);
		const { stdout } = await sh("sh", ["-c", `${curl} -s -w '\\n%{http_code}'`]);
		const [body, status] = stdout.trim().split("\n");
		expect(status).toBe("200");
		expect(JSON.parse(body as string)).toMatchObject({
			message: "Access granted",
			user: { iss: `http://127.0.0.1:${port}/__dev/issuer`, sub: "dev-user", scope: "read:things" }
		});
	});

	it("answers the same curl without the header 401 NO_TOKEN, and a tampered token 401 INVALID_TOKEN", async () => {
		const [, token] = await app.waitFor(/Bearer ([A-Za-z0-9_.-]+)"/);
		const missing = await get(`http://localhost:${port}/api/protected`);
		expect([missing.status, missing.body.type, missing.headers.get("www-authenticate")]).toEqual([
			401,
			"NO_TOKEN",
			`Bearer realm="api", resource_metadata="http://localhost:${port}/.well-known/oauth-protected-resource"`
		]);
		const tampered = `${token}`.replace(/\.([A-Za-z0-9_-])/, (_m, c: string) => `.${c === "e" ? "f" : "e"}`);
		const invalid = await get(`http://localhost:${port}/api/protected`, bearer(tampered));
		expect([invalid.status, invalid.body.type]).toEqual([401, "INVALID_TOKEN"]);
	});

	it("serves the development issuer's discovery document and key set under the gateway's port", async () => {
		const discovery = await get(`http://127.0.0.1:${port}/__dev/issuer/.well-known/openid-configuration`);
		expect(discovery.body).toMatchObject({ issuer: `http://127.0.0.1:${port}/__dev/issuer`, jwks_uri: `http://127.0.0.1:${port}/__dev/issuer/.well-known/jwks.json` });
		const jwks = await get(`http://127.0.0.1:${port}/__dev/issuer/.well-known/jwks.json`);
		const keys = jwks.body.keys as Array<Record<string, unknown>>;
		expect(keys.map(k => [k.kty, k.alg])).toEqual([["OKP", "EdDSA"], ["RSA", "RS256"]]);
		expect(keys.some(k => "d" in k)).toBe(false);
	});
});

describe("the built gateway with an external issuer", () => {
	it("fetches the issuer's keys over HTTP, verifies its tokens and does not start the development issuer", async () => {
		const issuer = await new KeyServer().start();
		const key = issuer.addKey("RS256", "external");
		const port = await freePort();
		const app = run("node", RUNNER, { SERVICEDIR: "dist/services", PORT: String(port), METRICS: "false", JWT_ISSUER: issuer.issuer });
		try {
			await app.waitFor(/Fetched the key set of/);
			const res = await get(`http://127.0.0.1:${port}/api/protected`, bearer(issuer.mint(key, { sub: "carol" })));
			expect([res.status, (res.body.user as Record<string, unknown>).sub]).toEqual([200, "carol"]);
			// The signature was checked by the built worker (dist/lib/auth/signatures/signature-worker.mjs), on
			// threads /proc names, as many as the default asks for.
			const expected = defaultThreadCount();
			expect(app.text).toContain(`JWT_VERIFY_THREADS=${expected}`);
			expect(app.text).not.toContain("A signature thread stopped");
			expect(threadsNamed(app.child.pid as number, THREAD_NAME)).toBe(expected);
			expect(issuer.discoveryFetches).toBe(1);
			expect(app.text).not.toContain("Development issuer");
			expect((await get(`http://127.0.0.1:${port}/__dev/issuer/.well-known/jwks.json`)).status).toBe(404);
		} finally {
			await app.stop();
			await issuer.stop();
		}
	});
});

describe("configuration errors", () => {
	it.each([
		[{ NODE_ENV: "production" }, "JWT_ISSUER"],
		[{ JWT_ISSUER: "https://auth.example.com/", JWT_ALGORITHMS: "RS256,none" }, "JWT_ALGORITHMS"],
		[{ JWT_ISSUER: "https://auth.example.com/", JWKS_TIMEOUT: "5s" }, "JWKS_TIMEOUT"],
		[{ JWT_ISSUER: "https://auth.example.com/", METRICS_PORT: "port" }, "METRICS_PORT"],
		[{ JWT_ISSUER: "https://auth.example.com/", METRICS_HOST: "every-interface" }, "METRICS_HOST"],
		[{ JWT_ISSUER: "https://auth.example.com/", METRICS_ACTIONS: "yes" }, "METRICS_ACTIONS"],
		[{ JWT_ISSUER: "https://auth.example.com/", WEB_CONCURRENCY: "two" }, "WEB_CONCURRENCY"],
		[{ JWT_ISSUERS_FILE: "/nonexistent/issuers.json" }, "JWT_ISSUERS_FILE: /nonexistent/issuers.json"],
		[{ JWT_ISSUER: "https://auth.example.com/", JWT_ROLES_CLAIM: "realm_access..roles" }, "JWT_ROLES_CLAIM"],
		[{ JWT_ISSUER: "https://auth.example.com/", PUBLIC_URL: "api.example.com" }, "PUBLIC_URL"]
	])("%j stops the process non-zero with one line naming %s", async (env, variable) => {
		const app = run("node", RUNNER, { SERVICEDIR: "dist/services", PORT: "0", ...env });
		const code = await app.wait();
		expect(code).not.toBe(0);
		const lines = app.text.split("\n").filter(line => line.startsWith("Configuration error"));
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatch(new RegExp(`^Configuration error: ${variable}: .+`));
		expect(app.text).not.toMatch(/\n\s+at /);
	});
});
