/**
 * Per-action requirements (`auth: false | "optional" | { scopes }`, none = a valid token) on every
 * kind of moleculer-web route: explicit aliases, the REST shorthand and a custom function alias.
 * The remote case (the action on another node) is in action-auth-remote.spec.ts.
 */
import { ServiceBroker, type Service } from "moleculer";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { parseAuthConfig } from "../../lib/auth/policy/env";
import { KeyServer } from "../support/key-server";
import { waitFor } from "../support/gateway";
import { expectAnswer, invalid, NO_TOKEN, send } from "../support/attack-kit";
import { ENDPOINTS, gatewaySchema, REQUIRED_SCOPES, ThingsService, urlOf, type Endpoint } from "../support/action-gateway";

const SCOPE_CHALLENGE = `Bearer realm="api", error="insufficient_scope", error_description="The token lacks a scope this action requires", scope="${REQUIRED_SCOPES.join(" ")}"`;

let issuer: KeyServer;
let key: SigningKey;
let broker: ServiceBroker;
let url = "";

beforeAll(async () => {
	issuer = await new KeyServer().start();
	key = issuer.addKey("EdDSA", "ed-1");
	broker = new ServiceBroker({ logger: false, metrics: false });
	const gw: Service = broker.createService(gatewaySchema(parseAuthConfig({ PORT: "0", JWT_ISSUER: issuer.issuer })));
	broker.createService(ThingsService);
	await broker.start();
	url = urlOf(gw);
	await waitFor(() => issuer.jwksFetches > 0 && (gw as unknown as { authenticator: { readiness(): { ready: boolean } } }).authenticator.readiness().ready);
});

afterAll(async () => {
	await broker.stop();
	await issuer.stop();
});

const valid = (options: Parameters<KeyServer["mint"]>[1] = {}) => issuer.mint(key, { sub: "alice", ...options });
const bad = () => valid({ expiresIn: -600 });
const hit = (endpoint: Endpoint, token?: string) => send(endpoint.method, `${url}${endpoint.path}`, token === undefined ? {} : { Authorization: `Bearer ${token}` });

describe.each(["explicit", "rest"] as const)("%s aliases", kind => {
	const at = ENDPOINTS[kind];

	describe("auth: false (public)", () => {
		it("answers 200 without a token", async () => {
			const res = await hit(at.public);
			expect(res.status).toBe(200);
			expect(res.body).toEqual({ action: at.public.action, hasUser: false, user: null });
		});

		it("answers 200 with a bad token: the token is not even read", async () => {
			const token = bad();
			const res = await hit(at.public, token);
			expect(res.status).toBe(200);
			expect(res.body).toEqual({ action: at.public.action, hasUser: false, user: null });
		});

		it("does not hand a valid token's claims to a public action", async () => {
			const res = await hit(at.public, valid());
			expect(res.body).toEqual({ action: at.public.action, hasUser: false, user: null });
		});
	});

	describe('auth: "optional"', () => {
		it("answers 200 with user null without a token", async () => {
			const res = await hit(at.optional);
			expect(res.status).toBe(200);
			expect(res.body).toEqual({ action: at.optional.action, hasUser: true, user: null });
		});

		it("answers 401 INVALID_TOKEN for a bad token", async () => {
			const token = bad();
			expectAnswer(await hit(at.optional, token), invalid("expired"), token);
		});

		it("answers 401 INVALID_TOKEN for garbage", async () => {
			expectAnswer(await hit(at.optional, "garbage"), invalid("malformed"), "garbage");
		});

		it("hands the verified claims over for a valid token", async () => {
			const res = await hit(at.optional, valid({ claims: { tenant: "acme" } }));
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ action: at.optional.action, user: { sub: "alice", iss: issuer.issuer, tenant: "acme" } });
		});
	});

	describe("auth: { scopes: [write:things, read:things] }", () => {
		it.each(["scoped", "scopedCreate"] as const)("answers 403 INSUFFICIENT_SCOPE naming every required scope when one is missing (%s)", async which => {
			const token = valid({ scope: "read:things other" });
			const res = await hit(at[which], token);
			expect(res.status).toBe(403);
			expect(res.headers.get("www-authenticate")).toBe(SCOPE_CHALLENGE);
			expect(res.body).toMatchObject({ code: 403, type: "INSUFFICIENT_SCOPE", data: { reason: "insufficient_scope" } });
			expect(res.text).not.toContain(token);
		});

		it("answers 403 for a token with no scope at all", async () => {
			const res = await hit(at.scoped, valid());
			expect(res.status).toBe(403);
			expect(res.headers.get("www-authenticate")).toBe(SCOPE_CHALLENGE);
		});

		it.each([
			["a space-separated scope claim", { scope: "read:things write:things" }],
			["an scp array", { claims: { scp: ["write:things", "read:things"] } }],
			["a space-separated scp string", { claims: { scp: "read:things write:things" } }]
		])("answers 200 with both scopes in %s", async (_name, options) => {
			const res = await hit(at.scoped, valid(options));
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ action: at.scoped.action, user: { sub: "alice" } });
		});

		it("answers 401 NO_TOKEN without a token", async () => {
			expectAnswer(await hit(at.scoped), NO_TOKEN, "");
		});

		it("answers 401 INVALID_TOKEN for a bad token that carries the scopes", async () => {
			const token = valid({ scope: "read:things write:things", expiresIn: -600 });
			expectAnswer(await hit(at.scoped, token), invalid("expired"), token);
		});
	});

	describe("no auth declared (default: a valid token)", () => {
		it("answers 401 NO_TOKEN without a token", async () => {
			expectAnswer(await hit(at.default), NO_TOKEN, "");
		});

		it("answers 401 INVALID_TOKEN for a bad token", async () => {
			const token = bad();
			expectAnswer(await hit(at.default, token), invalid("expired"), token);
		});

		it("answers 200 with the claims for a valid token", async () => {
			const res = await hit(at.default, valid());
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ action: at.default.action, hasUser: true, user: { sub: "alice" } });
		});
	});
});

describe("custom function alias on an authorized route (no action: default, a valid token)", () => {
	const fn: Endpoint = { method: "GET", path: "/custom/fn", action: "custom" };

	it("answers 401 NO_TOKEN without a token", async () => {
		expectAnswer(await hit(fn), NO_TOKEN, "");
	});

	it("answers 401 INVALID_TOKEN for a bad token", async () => {
		const token = bad();
		expectAnswer(await hit(fn, token), invalid("expired"), token);
	});

	it("runs with the verified claims for a valid token", async () => {
		const res = await hit(fn, valid());
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ action: "custom", hasUser: true, user: { sub: "alice", iss: issuer.issuer } });
	});
});

describe("tokens outside the Authorization header", () => {
	const create = ENDPOINTS.explicit.scopedCreate;
	const token = () => valid({ scope: REQUIRED_SCOPES.join(" ") });

	it.each([
		["the query string", (t: string) => send(create.method, `${url}${create.path}?access_token=${t}`)],
		["a JSON body", (t: string) => send(create.method, `${url}${create.path}`, { "Content-Type": "application/json" }, JSON.stringify({ access_token: t }))],
		["a form body", (t: string) => send(create.method, `${url}${create.path}`, { "Content-Type": "application/x-www-form-urlencoded" }, `access_token=${t}`)]
	])("ignores a token in %s (NO_TOKEN)", async (_name, request) => {
		const t = token();
		expectAnswer(await request(t), NO_TOKEN, t);
	});
});

describe("what an authorized route does not expose", () => {
	it.each(["/explicit/things/list", "/rest/things/feed/x", "/gw/verify", "/explicit/gw/refreshKeys"])("answers 404 for %s", async path => {
		expect((await send("GET", `${url}${path}`, { Authorization: `Bearer ${valid()}` })).status).toBe(404);
	});
});
