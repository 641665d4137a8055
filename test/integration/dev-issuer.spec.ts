/**
 * The development issuer goes through the very same JWKS path as a real issuer: the gateway
 * discovers it over HTTP on its own port, and both kinds of token it mints verify.
 */
import { parseAppConfig } from "../../services/app-config";
import { createDevIssuerService } from "../../services/dev-issuer.service";
import { bearer, freePort, get, startGateway, type Gateway } from "../support/gateway";
import ProtectedService from "../../services/protected.service";

describe("the embedded development issuer", () => {
	let gateway: Gateway;
	let issuerUrl: string;

	beforeAll(async () => {
		const port = await freePort();
		const config = parseAppConfig({ PORT: String(port) });
		issuerUrl = config.devIssuerUrl as string;
		gateway = await startGateway({ PORT: String(port) }, { services: [ProtectedService, createDevIssuerService(issuerUrl, port)] });
	});

	afterAll(async () => {
		await gateway.stop();
	});

	it.each([["EdDSA"], ["RS256"]])("mints %s tokens that the gateway accepts", async alg => {
		const minted = await gateway.broker.call<{ token: string; alg: string }, object>("dev-issuer.mint", {
			sub: "dana",
			alg,
			aud: ["api://things"],
			scope: "read:things",
			claims: { plan: "pro" }
		});
		expect(minted.alg).toBe(alg);
		const res = await get(`${gateway.url}/api/protected`, bearer(minted.token));
		expect(res.status).toBe(200);
		expect(res.body.user).toMatchObject({ iss: issuerUrl, sub: "dana", aud: ["api://things"], scope: "read:things", plan: "pro" });
		const [header] = minted.token.split(".");
		expect(JSON.parse(Buffer.from(header as string, "base64url").toString())).toMatchObject({ alg, typ: "JWT" });
	});

	it("does not let extra claims override iss or exp", async () => {
		const { token } = await gateway.broker.call<{ token: string }, object>("dev-issuer.mint", { claims: { iss: "https://evil", exp: 1 } });
		const res = await get(`${gateway.url}/api/protected`, bearer(token));
		expect(res.status).toBe(200);
		expect(res.body.user).toMatchObject({ iss: issuerUrl });
	});

	it("rejects invalid mint parameters", async () => {
		await expect(gateway.broker.call("dev-issuer.mint", { expiresIn: -5 })).rejects.toThrow(/validation/i);
		await expect(gateway.broker.call("dev-issuer.mint", { alg: "HS256" })).rejects.toThrow(/validation/i);
	});

	it("publishes public keys only, each with a kid", async () => {
		const jwks = await get(`${issuerUrl}/.well-known/jwks.json`);
		const keys = jwks.body.keys as Array<Record<string, unknown>>;
		expect(keys).toHaveLength(2);
		for (const key of keys) {
			expect(key.kid).toEqual(expect.any(String));
			expect(["d", "p", "q"].some(member => member in key)).toBe(false);
		}
	});
});
