/**
 * The package as a user gets it: `npm pack` of the repository, installed from the tarball into a
 * fresh CommonJS app and a fresh strict TypeScript app next to moleculer and moleculer-web from
 * the registry, each adding `jwtAuth` in two lines, started against a real JWKS server and
 * checked over HTTP. Which Node, moleculer and moleculer-web: matrix.ts (`npm run test:matrix`
 * runs them all). No registry, or a failed install, fails the file with CI set and is a
 * reported skip otherwise.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { expectForbidden, expectNoEcho, send } from "../support/attack-kit";
import type { HttpAnswer } from "../support/gateway";
import { bearer } from "../support/gateway";
import { KeyServer } from "../support/key-server";
import type { Running } from "../support/process";
import { describeWhen, describeWhenAnswering } from "../support/server-gate";
import { jsApp, JS_APP_PACKAGE, tsApp, TS_APP_PACKAGE } from "./app-sources";
import { FreshApp, installApps, packRepository, type PackedPackage } from "./fresh-app";
import { describeCombination, nodeBinary, nodeMajor, requestedCombinations, unsupportedReason, type Combination, type Outcome } from "./matrix";

jest.setTimeout(120_000);

const PACKAGE_NAME = "moleculer-jwks-auth";
const AUDIENCE = "orders-api";
const EXPORTS = { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" };
/** What only the repository's example app runs (transport, logging, Redis, token minting): never a dependency of the package. */
const EXAMPLE_APP_ONLY = ["moleculer", "moleculer-web", "nats", "pino", "ioredis", "jsonwebtoken"];
const REGISTRY = process.env.npm_config_registry || "https://registry.npmjs.org/";
const REGISTRY_PROBE = `fetch(new URL("moleculer", process.argv[1])).then(res => process.exit(res.ok ? 0 : 1), () => process.exit(1));`;

// Asked first: with CI set and no registry this throws before anything is created.
const registrySuite = describeWhenAnswering("npm registry", REGISTRY, REGISTRY_PROBE);
const workDir = mkdtempSync(join(tmpdir(), `${PACKAGE_NAME}-`));
let packed: PackedPackage;
try {
	packed = packRepository(workDir);
} catch (err) {
	rmSync(workDir, { recursive: true, force: true });
	throw err;
}
const running: Running[] = [];

afterAll(async () => {
	await Promise.all(running.map(app => app.stop()));
	rmSync(workDir, { recursive: true, force: true });
});

describe("the tarball", () => {
	test("holds only the built JavaScript and declarations, the README, the LICENSE and package.json", () => {
		const paths = packed.files.map(file => file.path).sort();
		const unexpected = paths.filter(path => !/^dist\/.+\.(js|mjs|d\.ts|d\.mts)$/.test(path) && !/^(README\.md|LICENSE|package\.json)$/.test(path));
		expect(unexpected).toEqual([]);
		expect(paths).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "package.json", "README.md", "LICENSE"]));
		// The example app (services, development issuer), tests, bench and scripts stay in the repository.
		expect(paths.filter(path => /^dist\/(services|test|bench|scripts)\/|^dist\/moleculer\.config/.test(path))).toEqual([]);
		expect({ name: packed.name, version: packed.version }).toEqual({ name: PACKAGE_NAME, version: "0.2.0" });
		process.stdout.write(`  ${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked\n`);
	});
});

/** "0.14.36" is a version of "0.14" and of "0.14.36". */
function isVersionOf(version: string, requested: string): boolean {
	return version === requested || version.startsWith(`${requested}.`);
}

interface Prepared {
	readonly node: string;
	readonly js: FreshApp;
	readonly ts: FreshApp;
}

/** The Node binary, and both apps written and installed: all of it before the suite is declared, so a failure can still skip it. */
function prepare(combo: Combination, index: number): Outcome<Prepared> {
	const node = nodeBinary(combo.node);
	if (!node.ok) return node;
	const dir = join(workDir, `combination-${index}`);
	const peers = [packed.tarball, `moleculer@${combo.moleculer}`, `moleculer-web@${combo.moleculerWeb}`];
	const js = FreshApp.create(dir, "js-app", JS_APP_PACKAGE, { "app.js": jsApp(), "app-own-hook.js": jsApp("own-authorize"), "app-open-route.js": jsApp("open-route") });
	const ts = FreshApp.create(dir, "ts-app", TS_APP_PACKAGE, tsApp());
	const installed = installApps([
		{ app: js, packages: peers },
		{ app: ts, packages: [...peers, `@types/node@${nodeMajor(combo.node)}`] }
	]);
	return installed.ok ? { ok: true, value: { node: node.value, js, ts } } : installed;
}

/** `describe` when prepared; with CI set a failure fails the file, otherwise the suite is a reported skip. */
function describeWhenPrepared(combo: Combination, prepared: Outcome<Prepared>): jest.Describe {
	const line = prepared.ok ? "" : `${describeCombination(combo)}: ${prepared.error}`;
	return describeWhen(prepared.ok, `the package could not be set up for ${line}`, "its suite is skipped", () => rmSync(workDir, { recursive: true, force: true }));
}

/**
 * A 401 with moleculer-web's error body, the reason, and the challenge of RFC 6750: bare for no
 * token, `invalid_token` otherwise (no `resource_metadata`: the apps set no `publicUrl`).
 */
function expectUnauthorized(res: HttpAnswer, type: "NO_TOKEN" | "INVALID_TOKEN", reason: string, token = ""): void {
	expect({ status: res.status, body: res.body }).toMatchObject({ status: 401, body: { name: "UnAuthorizedError", code: 401, type, data: { reason } } });
	const challenge = res.headers.get("www-authenticate");
	if (type === "NO_TOKEN") expect(challenge).toBe('Bearer realm="api"');
	else expect(challenge).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
	if (token) expectNoEcho(res, token);
}

async function startApp(app: FreshApp, node: string, entry: string, issuer: KeyServer): Promise<string> {
	const started = app.start(node, entry, { ISSUER: issuer.issuer });
	running.push(started);
	const [, port] = (await started.waitFor(/LISTENING (\d+)/, 60_000)) as RegExpMatchArray;
	return `http://127.0.0.1:${port}/api/orders`;
}

function declareSuites(combo: Combination, index: number): void {
	const reason = unsupportedReason(combo);
	if (reason && !process.env.MATRIX_FORCE) {
		process.stderr.write(`\n  SKIPPED: ${describeCombination(combo)} is not supported: ${reason} (MATRIX_FORCE=1 runs it anyway)\n\n`);
		describe.skip(`${describeCombination(combo)} (not supported: ${reason})`, () => test("the package", () => undefined));
		return;
	}
	const prepared = prepare(combo, index);
	describeWhenPrepared(combo, prepared)(describeCombination(combo), () => {
		const { node, js, ts } = prepared.ok ? prepared.value : ({} as Prepared);

		test("installs the requested versions; moleculer and moleculer-web are peers, one copy each, the app's own", () => {
			for (const app of [js, ts]) {
				expect(isVersionOf(app.manifest("moleculer").version, combo.moleculer)).toBe(true);
				expect(isVersionOf(app.manifest("moleculer-web").version, combo.moleculerWeb)).toBe(true);
				const installed = app.manifest(PACKAGE_NAME);
				expect(installed).toMatchObject({ version: "0.2.0", exports: EXPORTS, peerDependencies: { moleculer: expect.any(String), "moleculer-web": expect.any(String) } });
				expect(installed.private).toBeUndefined();
				expect(Object.keys(installed.dependencies ?? {}).filter(name => EXAMPLE_APP_ONLY.includes(name))).toEqual([]);
				// A second copy under the package is what made TypeScript fail with TS2321 (excessive stack depth).
				expect([`node_modules/${PACKAGE_NAME}/node_modules/moleculer`, `node_modules/${PACKAGE_NAME}/node_modules/moleculer-web`].filter(path => app.has(path))).toEqual([]);
			}
			process.stdout.write(`  ${describeCombination(combo)}: moleculer ${js.manifest("moleculer").version}, moleculer-web ${js.manifest("moleculer-web").version}\n`);
		});

		test("the strict TypeScript app type-checks: the package ships its declarations and the `auth` augmentation", async () => {
			const { code, output } = await ts.compile();
			expect(output).toBe("");
			expect(code).toBe(0);
		});

		describe.each([
			["JavaScript (CommonJS)", () => js, "app.js"],
			["TypeScript (ESM, strict)", () => ts, "dist/app.js"]
		] as const)("the %s app", (_label, app, entry) => {
			let issuer: KeyServer;
			let key: SigningKey;
			let url = "";

			beforeAll(async () => {
				issuer = await new KeyServer().start();
				key = issuer.addKey("RS256");
				url = await startApp(app(), node, entry, issuer);
			});

			afterAll(async () => {
				await issuer?.stop();
			});

			test("a valid token: 200, and the action gets the verified claims in ctx.meta.user", async () => {
				const token = issuer.mint(key, { sub: "alice", aud: AUDIENCE, scope: "orders:read" });
				const res = await send("GET", url, bearer(token));
				expect(issuer.jwksFetches).toBeGreaterThan(0);
				expect({ status: res.status, body: res.body }).toMatchObject({ status: 200, body: { orders: [], user: { sub: "alice", iss: issuer.issuer, aud: AUDIENCE } } });
			});

			test("no token: 401 NO_TOKEN with the bare Bearer challenge", async () => {
				expectUnauthorized(await send("GET", url), "NO_TOKEN", "no_token");
			});

			test("a token for another audience, or signed by a key not in the issuer's set: 401 INVALID_TOKEN", async () => {
				const otherAudience = issuer.mint(key, { aud: "billing-api" });
				expectUnauthorized(await send("GET", url, bearer(otherAudience)), "INVALID_TOKEN", "audience_mismatch", otherAudience);
				const impostor = new KeyServer().addKey("RS256", key.kid);
				const forged = issuer.mint(impostor, { aud: AUDIENCE });
				expectUnauthorized(await send("GET", url, bearer(forged)), "INVALID_TOKEN", "bad_signature", forged);
			});

			test("a token without the scope `orders.create` declares: 403 INSUFFICIENT_SCOPE; with it: 200", async () => {
				const reader = issuer.mint(key, { aud: AUDIENCE, scope: "orders:read" });
				expectForbidden(await send("POST", url, bearer(reader)), reader, "scopes", "orders:write");
				const writer = issuer.mint(key, { sub: "bob", aud: AUDIENCE, scope: "orders:read orders:write" });
				const res = await send("POST", url, bearer(writer));
				expect({ status: res.status, body: res.body }).toMatchObject({ status: 200, body: { created: true, user: { sub: "bob" } } });
			});
		});

		test.each([
			["keeps its own methods.authorize", "app-own-hook.js", /(Error|START FAILED)[^\n]*authorize/],
			["routes actions that require a token without authorization: true", "app-open-route.js", /(Error|START FAILED)[^\n]*authorization: true/]
		])("a gateway that %s does not start, and says why", async (_mistake, entry, message) => {
			const issuer = await new KeyServer().start();
			issuer.addKey("RS256");
			try {
				const started = js.start(node, entry, { ISSUER: issuer.issuer });
				running.push(started);
				// It either exits or listens; a listening gateway is the silent bypass.
				await started.waitFor(/LISTENING/, 30_000).catch(() => undefined);
				expect(started.text).not.toMatch(/LISTENING/);
				expect(started.exitCode).not.toBeNull();
				expect(started.exitCode).not.toBe(0);
				// The apps' file names do not contain the words, so they come from the package's message.
				expect(started.text).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
				expect(started.text).toMatch(message);
			} finally {
				await issuer.stop();
			}
		});
	});
}

registrySuite("installed from the registry", () => {
	// A skipped describe still declares its tests: install nothing when the registry does not answer.
	if (registrySuite !== describe) test("the package", () => undefined);
	else requestedCombinations().forEach(declareSuites);
});
