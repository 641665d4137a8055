/**
 * The README's REPL session, typed into `npm run dev` for real: mint a token with the
 * development issuer, verify it, call protected.get, refresh keys, quit; and its hot reload.
 */
import { utimesSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../support/gateway";
import { run, type Running } from "../support/process";

jest.setTimeout(90_000);

describe("npm run dev with the Moleculer REPL", () => {
	let app: Running;

	beforeAll(async () => {
		app = run("npm", ["run", "dev"], { PORT: String(await freePort()), METRICS_PORT: "0" });
		await app.waitFor(/Fetched the key set of/, 60_000);
		await app.waitFor(/mol \$/);
	});

	afterAll(async () => {
		await app.stop();
	});

	it("mints a token with the development issuer's action", async () => {
		app.write('call dev-issuer.mint --sub alice --scope "read:things write:things" --expiresIn 600');
		const [, token] = await app.waitFor(/token: '([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)'/);
		expect(token).toBeDefined();
		app.write(`call api.verify --token ${token}`);
		await app.waitFor(/valid: true/);
		expect(app.text).toMatch(/sub: 'alice'/);
		expect(app.text).toMatch(/scope: 'read:things write:things'/);
	});

	it("reloads a service whose file changes (--hot)", async () => {
		// Moleculer's HotReload watches only when the runner is the process' main CommonJS module,
		// which is why npm run dev starts it with `node --import tsx` rather than `tsx`.
		const file = join(__dirname, "..", "..", "services", "protected.service.ts");
		const now = new Date();
		utimesSync(file, now, now);
		await app.waitFor(/Hot reload 'protected' service/, 20_000);
		app.write("call protected.get --#user.sub carol");
		await app.waitFor(/message: 'Access granted',\s+user: \{ sub: 'carol' \}/);
	});

	it("reports why a token fails", async () => {
		app.write("call api.verify --token not.a.token");
		await app.waitFor(/valid: false,\s+reason: 'malformed'/);
	});

	it("calls protected.get with a user in meta", async () => {
		app.write("call protected.get --#user.sub bob");
		await app.waitFor(/message: 'Access granted',\s+user: \{ sub: 'bob' \}/);
	});

	it("refreshes the key set on request", async () => {
		app.write("call api.refreshKeys");
		await app.waitFor(/ok: true,[\s\S]*kids: \[/);
	});

	it("lists every routed alias with its action, node and requirement", async () => {
		app.write("call api.listAccess");
		await app.waitFor(/path: '\/api\/protected',\s+action: 'protected\.get',\s+nodes: \[ '[^']+' \],\s+requirement: 'a valid token'/);
		expect(app.text).toMatch(/path: '\/health\/live',\s+action: null,\s+nodes: \[ '[^']+' \],\s+requirement: 'public \(route without authorization\)'/);
	});

	it("quits cleanly", async () => {
		app.write("quit");
		expect(await app.wait()).toBe(0);
	});
});
