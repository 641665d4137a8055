/**
 * The real gateway over HTTP against a real key server: the contract's statuses, headers and
 * bodies, both kinds of Zuplo token (EdDSA and RS256), health, and the broker-only actions.
 */
import { Errors } from "moleculer";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, type Gateway } from "../support/gateway";
import { RESOURCE_METADATA } from "../support/attack-kit";

describe("gateway over HTTP", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let ed: SigningKey;
	let rsa: SigningKey;

	beforeAll(async () => {
		// Zuplo's layout: no discovery document, keys at `${issuer}/.well-known/jwks.json`.
		issuer = await new KeyServer({ discovery: false, issuerPath: "/__zuplo/issuer" }).start();
		ed = issuer.addKey("EdDSA", "zuplo-ed25519");
		rsa = issuer.addKey("RS256", "zuplo-rs256");
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0" });
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	const protectedUrl = () => `${gateway.url}/api/protected`;

	it.each([
		["EdDSA (Zuplo's JWT service)", () => ed],
		["RS256 (Zuplo's identity tokens)", () => rsa]
	])("answers 200 with the verified claims for an %s token", async (_name, key) => {
		const token = issuer.mint(key(), { sub: "alice", scope: "read:things", claims: { tenant: "acme" } });
		const res = await get(protectedUrl(), bearer(token));
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ message: "Access granted", user: { iss: issuer.issuer, sub: "alice", scope: "read:things", tenant: "acme" } });
		expect(res.text).not.toContain(token);
	});

	it.each([
		["no Authorization header", {}],
		["a Basic scheme", { Authorization: "Basic YWxpY2U6c2VjcmV0" }],
		["Bearer with nothing after it", { Authorization: "Bearer" }],
		["Bearer and spaces", { Authorization: "Bearer    " }]
	])("answers 401 NO_TOKEN with a bare challenge for %s", async (_name, headers) => {
		const res = await get(protectedUrl(), headers);
		expect(res.status).toBe(401);
		expect(res.headers.get("www-authenticate")).toMatch(new RegExp(`^Bearer realm="api"${RESOURCE_METADATA}$`));
		expect(res.body).toEqual({ name: "UnAuthorizedError", message: "Unauthorized", code: 401, type: "NO_TOKEN", data: { reason: "no_token" } });
	});

	it("makes each alias's log text once, as moleculer-web's own", () => {
		const aliases = (gateway.api as unknown as { aliases: { toString(): string }[] }).aliases;
		expect(aliases.length).toBeGreaterThanOrEqual(3);
		const moleculerWebs = (Object.getPrototypeOf(aliases[0]) as { toString(): string }).toString;
		for (const alias of aliases) {
			expect(Object.hasOwn(alias, "toString")).toBe(true);
			expect(alias.toString()).toBe(moleculerWebs.call(alias));
		}
	});

	it("ignores a token in the query string", async () => {
		const res = await get(`${protectedUrl()}?access_token=${issuer.mint(ed)}`);
		expect(res.status).toBe(401);
		expect(res.body.type).toBe("NO_TOKEN");
	});

	it("accepts the scheme in any case", async () => {
		const res = await get(protectedUrl(), { Authorization: `bEaReR ${issuer.mint(ed)}` });
		expect(res.status).toBe(200);
	});

	it("answers 401 INVALID_TOKEN with bad_signature for a tampered token, without echoing it", async () => {
		const token = issuer.mint(ed, { sub: "alice" });
		const [head, , sig] = token.split(".");
		const forged = `${head}.${Buffer.from(JSON.stringify({ iss: issuer.issuer, sub: "admin", exp: 9999999999 })).toString("base64url")}.${sig}`;
		const res = await get(protectedUrl(), bearer(forged));
		expect(res.status).toBe(401);
		expect(res.headers.get("www-authenticate")).toBe(
			'Bearer realm="api", error="invalid_token", error_description="The token\'s signature is invalid", resource_metadata="http://localhost:0/.well-known/oauth-protected-resource"'
		);
		expect(res.body).toEqual({ name: "UnAuthorizedError", message: "Unauthorized", code: 401, type: "INVALID_TOKEN", data: { reason: "bad_signature" } });
		expect(res.text + JSON.stringify([...res.headers])).not.toContain(forged.slice(0, 40));
	});

	it.each([
		["expired", () => issuer.mint(ed, { expiresIn: -60 }), "expired"],
		["from another issuer", () => issuer.sign(ed, { iss: "https://evil.example.com", exp: 9999999999 }), "issuer_mismatch"],
		["signed with alg none", () => `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ iss: issuer.issuer, exp: 9999999999 })).toString("base64url")}.`, "malformed"],
		["garbage", () => "not-a-jwt", "malformed"],
		["over 8 KiB", () => "a".repeat(8193), "token_too_large"]
	])("answers 401 INVALID_TOKEN for a token %s", async (_name, token, reason) => {
		const res = await get(protectedUrl(), bearer(token()));
		expect(res.status).toBe(401);
		expect(res.body).toMatchObject({ type: "INVALID_TOKEN", data: { reason } });
		expect(res.headers.get("www-authenticate")).toMatch(new RegExp(`^Bearer realm="api", error="invalid_token", error_description="[^"]+"${RESOURCE_METADATA}$`));
	});

	it("never trusts identity headers sent by the client", async () => {
		const res = await get(protectedUrl(), { ...bearer(issuer.mint(ed, { sub: "alice" })), "x-user": '{"sub":"admin"}', "x-forwarded-user": "admin" });
		expect(res.status).toBe(200);
		expect((res.body.user as Record<string, unknown>).sub).toBe("alice");
	});

	it("serves health routes that reveal only status", async () => {
		const live = await get(`${gateway.url}/health/live`);
		const ready = await get(`${gateway.url}/health/ready`);
		expect([live.status, live.body]).toEqual([200, { status: "ok" }]);
		expect([ready.status, ready.body]).toEqual([200, { status: "ready" }]);
		expect(live.text + ready.text).not.toContain(gateway.broker.nodeID);
	});

	it("exposes only the declared aliases over HTTP", async () => {
		for (const path of ["/api/protected/get", "/api/api/verify", "/api/dev-issuer/mint", "/api/api/refreshKeys", "/api/$node/list"]) {
			expect((await get(`${gateway.url}${path}`, bearer(issuer.mint(ed)))).status).toBe(404);
		}
	});

	it("verifies a token through the broker-only verify action", async () => {
		const ok = await gateway.broker.call("api.verify", { token: issuer.mint(rsa, { sub: "bob" }) });
		expect(ok).toMatchObject({ valid: true, alg: "RS256", kid: "zuplo-rs256", claims: { sub: "bob" } });
		const bad = await gateway.broker.call("api.verify", { token: issuer.mint(rsa, { expiresIn: -60 }) });
		expect(bad).toEqual({ valid: false, reason: "expired", status: 401, type: "INVALID_TOKEN", description: "The token has expired" });
	});

	it("picks up a rotated key with no restart and drops a removed one after a refresh", async () => {
		const next = issuer.addKey("EdDSA", "zuplo-next");
		expect((await get(protectedUrl(), bearer(issuer.mint(next)))).status).toBe(200);
		issuer.removeKey("zuplo-next");
		const reports = await gateway.broker.call("api.refreshKeys", {});
		expect(reports).toEqual([expect.objectContaining({ ok: true, removed: ["zuplo-next"] })]);
		const res = await get(protectedUrl(), bearer(issuer.mint(next)));
		expect(res.status).toBe(401);
		expect(res.body).toMatchObject({ data: { reason: "unknown_key" } });
	});

	it("answers 503 SERVICE_UNAVAILABLE naming the action when no node serves it", async () => {
		const serviceless = await startGateway({ JWT_ISSUER: issuer.issuer }, { services: [] });
		try {
			const res = await get(`${serviceless.url}/api/protected`, bearer(issuer.mint(rsa)));
			expect([res.status, res.body.type, res.body.data]).toEqual([503, "SERVICE_UNAVAILABLE", { action: "protected.get" }]);
		} finally {
			await serviceless.stop();
		}
	});

	it("retries the call to the service, never the whole HTTP request (no retries of retries)", async () => {
		let calls = 0;
		const flaky = {
			name: "protected",
			actions: {
				get() {
					calls += 1;
					throw new Errors.MoleculerRetryableError("Flaky", 500, "FLAKY");
				}
			}
		};
		// The production retry policy (moleculer.config.ts), with short delays.
		const retryPolicy = { enabled: true, retries: 3, delay: 1, maxDelay: 5, factor: 1, check: (err: Error) => !!(err as { retryable?: boolean }).retryable };
		const retrying = await startGateway({ JWT_ISSUER: issuer.issuer }, { services: [flaky], broker: { retryPolicy } });
		try {
			const res = await get(`${retrying.url}/api/protected`, bearer(issuer.mint(rsa)));
			expect([res.status, res.body.type]).toEqual([500, "FLAKY"]);
			// The first call and 3 retries; replaying the whole `rest` action made more, and ended as a 404.
			expect(calls).toBe(4);
		} finally {
			await retrying.stop();
		}
	});
});

describe("gateway when the issuer cannot be reached", () => {
	it("answers 503 JWKS_UNAVAILABLE with Retry-After and reports not ready", async () => {
		const issuer = await new KeyServer().start();
		const key = issuer.addKey("EdDSA", "k");
		issuer.mode = "down";
		const gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_TIMEOUT: "300" }, { waitReady: false });
		try {
			const res = await get(`${gateway.url}/api/protected`, bearer(issuer.mint(key)));
			expect(res.status).toBe(503);
			expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
			expect(res.headers.get("www-authenticate")).toBeNull();
			expect(res.body).toMatchObject({ code: 503, type: "JWKS_UNAVAILABLE", data: { reason: "jwks_unavailable" } });
			const ready = await get(`${gateway.url}/health/ready`);
			expect([ready.status, ready.body]).toEqual([503, { status: "not_ready", issuersWithoutKeys: [issuer.issuer] }]);
		} finally {
			await gateway.stop();
			await issuer.stop();
		}
	});
});
