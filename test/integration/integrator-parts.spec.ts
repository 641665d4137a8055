/**
 * What an integrator gets with `jwtAuth(...)` in their own gateway, beside verification: the
 * readiness alias, the 503 for an action without a node, request-id screening, `mapUser`, and
 * the `auth` type of actions in the package's declarations. A real broker, moleculer-web and a
 * real JWKS server; the package imported by its name.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ServiceBroker, type Service, type ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { jwtAuth, readinessAlias, type JwtAuthOptions } from "moleculer-jwks-auth";
import { KeyServer } from "../support/key-server";
import { bearer, get, waitFor } from "../support/gateway";
import { urlOf } from "../support/action-gateway";

const sh = promisify(execFile);
const root = join(__dirname, "../..");

const orders: ServiceSchema = {
	name: "orders",
	actions: { list: { handler: ctx => ({ user: ctx.meta.user }) } }
};

describe("the integrator's parts of jwtAuth", () => {
	let issuer: KeyServer;
	let broker: ServiceBroker;
	let api: Service;

	async function start(options: Partial<JwtAuthOptions> = {}, services: ServiceSchema[] = [orders]): Promise<string> {
		broker = new ServiceBroker({ logger: false, metrics: false });
		api = broker.createService({
			name: "api",
			mixins: [ApiGateway, jwtAuth({ issuer: issuer.issuer, verifyThreads: 0, jwks: { cacheMaxAge: 1000, cooldown: 0, timeout: 500, staleMaxAge: 1000 }, ...options })],
			settings: {
				port: 0,
				routes: [
					{ path: "/health", aliases: { "GET /ready": readinessAlias } },
					{ path: "/api", authorization: true, aliases: { "GET /orders": "orders.list", "GET /gone": "gone.list" } }
				]
			}
		} as ServiceSchema);
		for (const service of services) broker.createService(service);
		await broker.start();
		return urlOf(api);
	}

	beforeEach(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("RS256", "k1");
	});

	afterEach(async () => {
		await broker.stop();
		await issuer.stop();
	});

	it("makes each alias's log text once, as moleculer-web's own, with jwtAuth listed after ApiGateway", async () => {
		await start();
		const aliases = (api as unknown as { aliases: { toString(): string }[] }).aliases;
		expect(aliases.length).toBe(3);
		const moleculerWebs = (Object.getPrototypeOf(aliases[0]) as { toString(): string }).toString;
		for (const alias of aliases) {
			expect(Object.hasOwn(alias, "toString")).toBe(true);
			expect(alias.toString()).toBe(moleculerWebs.call(alias));
		}
	});

	it("readinessAlias answers 200 once the issuer's keys are in, 503 naming the issuer once they are gone", async () => {
		const url = await start();
		await waitFor(async () => (await get(`${url}/health/ready`)).status === 200, 10_000);
		expect((await get(`${url}/health/ready`)).body).toEqual({ status: "ready" });
		issuer.mode = "down";
		await waitFor(async () => (await get(`${url}/health/ready`)).status === 503, 10_000);
		expect((await get(`${url}/health/ready`)).body).toEqual({ status: "not_ready", issuersWithoutKeys: [issuer.issuer] });
	});

	it("answers 503 SERVICE_UNAVAILABLE (typed, naming the action) for an aliased action no node serves, unless turned off", async () => {
		let url = await start();
		const token = issuer.mint();
		await waitFor(async () => (await get(`${url}/api/orders`, bearer(token))).status === 200, 10_000);
		const gone = await get(`${url}/api/gone`, bearer(token));
		expect([gone.status, gone.body.type, gone.body.data]).toEqual([503, "SERVICE_UNAVAILABLE", { action: "gone.list" }]);
		await broker.stop();
		url = await start({ serviceUnavailable: false });
		await waitFor(async () => (await get(`${url}/api/orders`, bearer(token))).status === 200, 10_000);
		const untyped = await get(`${url}/api/gone`, bearer(token));
		expect([untyped.status, untyped.body.type, untyped.body.data]).toEqual([503, undefined, undefined]);
	});

	it("keeps a client's short safe X-Request-ID and replaces an unsafe one", async () => {
		const url = await start();
		const token = issuer.mint();
		await waitFor(async () => (await get(`${url}/api/orders`, bearer(token))).status === 200, 10_000);
		const safe = await get(`${url}/api/orders`, { ...bearer(token), "X-Request-ID": "abc-123" });
		expect(safe.headers.get("x-request-id")).toBe("abc-123");
		const unsafe = await get(`${url}/api/orders`, { ...bearer(token), "X-Request-ID": `<script>${"x".repeat(100)}` });
		expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
	});

	it("puts what mapUser makes of the verified claims in ctx.meta.user", async () => {
		const url = await start({ mapUser: claims => ({ id: claims.sub, scopes: String(claims.scope ?? "").split(" ") }) });
		const token = issuer.mint(undefined, { sub: "ann", scope: "a b" });
		await waitFor(async () => (await get(`${url}/api/orders`, bearer(token))).status === 200, 10_000);
		expect((await get(`${url}/api/orders`, bearer(token))).body).toEqual({ user: { id: "ann", scopes: ["a", "b"] } });
	});
});

describe("the package's declarations", () => {
	it("type `auth` on actions in a strict TypeScript app that imports the package", async () => {
		// Inside the repository, so `moleculer` resolves; the package itself is the built dist/.
		const dir = mkdtempSync(join(root, ".typecheck-"));
		try {
			writeFileSync(
				join(dir, "app.ts"),
				[
					`import type { ServiceSchema } from "moleculer";`,
					`import { jwtAuth } from "${join(root, "dist/index.js").replace(/\\/g, "/")}";`,
					`export const api: Partial<ServiceSchema> = jwtAuth({ issuer: "https://issuer.example/", audience: "orders-api" });`,
					`export const orders: ServiceSchema = { name: "orders", actions: {`,
					`  list: { auth: { scopes: ["orders:read"] }, handler: () => [] },`,
					`  open: { auth: false, handler: () => [] },`,
					`  // @ts-expect-error an auth declaration is false, "optional", "required" or an object`,
					`  bad: { auth: 42, handler: () => [] }`,
					`} };`,
					`// @ts-expect-error audience is a string or an array of strings`,
					`jwtAuth({ issuer: "https://issuer.example/", audience: 1 });`
				].join("\n")
			);
			const tsc = join(root, "node_modules/typescript/bin/tsc");
			const args = [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "--types", "node", join(dir, "app.ts")];
			await expect(sh(process.execPath, args, { cwd: root })).resolves.toBeDefined();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}, 60_000);
});
