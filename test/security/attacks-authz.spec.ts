/**
 * The attack checklist's authorization cases against a real gateway: claim-path games
 * (`__proto__`, `constructor`, a path through an array, an object where a string is expected),
 * an issuer allowed for one action used on another, and roles spelled with another case or
 * whitespace. Every token is correctly signed by a trusted issuer: only the declared
 * requirements can refuse it.
 */
import { ServiceBroker, type Service } from "moleculer";
import { parseAuthConfig } from "../../lib/auth/policy/env";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { KeyServer } from "../support/key-server";
import { waitFor } from "../support/gateway";
import { expectForbidden, FAR_FUTURE, nowSeconds, send } from "../support/attack-kit";
import { urlOf, type Endpoint } from "../support/action-gateway";
import { PERMISSIONS, vaultGateway, VAULT_ENDPOINTS, vaultService } from "../support/vault";

let main: KeyServer;
let other: KeyServer;
let mainKey: SigningKey;
let otherKey: SigningKey;
let broker: ServiceBroker;
let url = "";
const at = VAULT_ENDPOINTS.explicit;
const ROTATE: Endpoint = { method: "POST", path: "/x/rotate", action: "rotate" };
const MISDECLARED: Endpoint = { method: "GET", path: "/x/sneaky", action: "sneaky" };

beforeAll(async () => {
	main = await new KeyServer({ issuerPath: "/main" }).start();
	other = await new KeyServer({ issuerPath: "/other" }).start();
	mainKey = main.addKey("EdDSA", "main-1");
	otherKey = other.addKey("EdDSA", "other-1");
	broker = new ServiceBroker({ logger: false, metrics: false });
	const gateway = vaultGateway(parseAuthConfig({ PORT: "0", JWT_ISSUER: `${main.issuer},${other.issuer}` }));
	const routes = (gateway.settings as { routes: { path: string; aliases: Record<string, string> }[] }).routes;
	(routes[0] as { aliases: Record<string, string> }).aliases["GET /sneaky"] = "vault.sneaky";
	const gw: Service = broker.createService(gateway);
	const vault = vaultService({ path: "org.id", value: "acme" }, { remove: other.issuer, rotate: main.issuer });
	// A declaration that would hold for every token if the path walked into prototypes.
	(vault.actions as Record<string, unknown>).sneaky = { auth: { claims: { "constructor.name": "Object" } }, handler: () => "reached" };
	broker.createService(vault);
	await broker.start();
	url = urlOf(gw);
	await waitFor(() => (gw as unknown as { authenticator: { readiness(): { ready: boolean } } }).authenticator.readiness().ready);
});

afterAll(async () => {
	await broker.stop();
	await Promise.all([main.stop(), other.stop()]);
});

/** A payload as raw JSON text, so that `__proto__` stays the own member the token spells. */
function raw(server: KeyServer, key: SigningKey, members: string): string {
	return server.sign(key, `{"iss":${JSON.stringify(server.issuer)},"sub":"mallory","iat":${nowSeconds()},"exp":${FAR_FUTURE},${members}}`);
}

const hit = (endpoint: Endpoint, token: string) => send(endpoint.method, `${url}${endpoint.path}`, { Authorization: `Bearer ${token}` });

describe("claim-path games", () => {
	it.each([
		["roles under an own __proto__", at.roles, "roles", '"__proto__":{"roles":["admin"]}'],
		["org.id under org's own __proto__", at.claims, "claims", '"org":{"__proto__":{"id":"acme"}}'],
		["org.id through an array of objects", at.claims, "claims", '"org":[{"id":"acme"}]'],
		["org.id as an object that stringifies to acme", at.claims, "claims", '"org":{"id":{"toString":"acme","valueOf":"acme"}}'],
		["org.id as an array of arrays", at.claims, "claims", '"org":{"id":[["acme"]]}'],
		["org.id as a query operator", at.claims, "claims", '"org":{"id":{"$ne":"x"}}'],
		["org as the dotted name org.id but nested under another name", at.claims, "claims", '"x":{"org.id":"acme"}'],
		["roles as an object keyed by role", at.roles, "roles", '"roles":{"admin":true}'],
		["roles as an array of arrays", at.roles, "roles", '"roles":[["admin"]]'],
		["roles as an array of objects", at.roles, "roles", '"roles":[{"name":"admin"}]']
	])("refuses %s", async (_name, endpoint, requirement, members) => {
		const token = raw(main, mainKey, members);
		expectForbidden(await hit(endpoint, token), token, requirement);
	});

	it.each([
		["scope as an array", at.anyScope, "anyScope", '"scope":["vault:read"]', "vault:read vault:admin"],
		["scp as an object", at.anyScope, "anyScope", '"scp":{"vault:read":true}', "vault:read vault:admin"],
		["permissions as a space-separated string", at.permissions, "permissions", `"permissions":"${PERMISSIONS[0]}"`, PERMISSIONS.join(" ")],
		["permissions as an object", at.permissions, "permissions", `"permissions":{"${PERMISSIONS[0]}":true}`, PERMISSIONS.join(" ")],
		["permissions under an own __proto__", at.permissions, "permissions", `"__proto__":{"permissions":["${PERMISSIONS[0]}"]}`, PERMISSIONS.join(" ")]
	])("refuses %s", async (_name, endpoint, requirement, members, scope) => {
		const token = raw(main, mainKey, members);
		expectForbidden(await hit(endpoint, token), token, requirement, scope);
	});

	it("lets in the real shape, so the refusals above are the shape's doing", async () => {
		expect((await hit(at.claims, raw(main, mainKey, '"org":{"id":"acme"}'))).status).toBe(200);
		expect((await hit(at.roles, raw(main, mainKey, '"roles":["admin"]'))).status).toBe(200);
	});

	it("refuses every caller of an action whose declaration names constructor: it is misdeclared, never walked", async () => {
		const token = raw(main, mainKey, '"roles":["admin"]');
		const res = await hit(MISDECLARED, token);
		expect({ status: res.status, body: res.body }).toEqual({
			status: 403,
			body: { name: "ForbiddenError", message: "Forbidden", code: 403, type: "ACTION_MISDECLARED", data: { reason: "action_misdeclared" } }
		});
		expect(res.text).not.toContain("reached");
	});
});

describe("an issuer allowed for one action, used on another", () => {
	it("refuses the other issuer's token on the action that allows the main issuer only, and the reverse", async () => {
		const fromOther = raw(other, otherKey, '"scope":"vault:admin","permissions":["create:secrets"],"roles":["admin"],"org":{"id":"acme"}');
		expect((await hit(at.issuers, fromOther)).status).toBe(200);
		expectForbidden(await hit(ROTATE, fromOther), fromOther, "issuers");
		const fromMain = raw(main, mainKey, '"scope":"vault:admin","permissions":["create:secrets"],"roles":["admin"],"org":{"id":"acme"}');
		expect((await hit(ROTATE, fromMain)).status).toBe(200);
		expectForbidden(await hit(at.issuers, fromMain), fromMain, "issuers");
	});
});

describe("roles spelled another way", () => {
	it.each(["Admin", "ADMIN", " admin", "admin ", "admin\t", "ad min", "\u0430dmin", "admin\u200b", "auditor,admin"])("refuses %j for the role admin", async role => {
		const token = raw(main, mainKey, `"roles":[${JSON.stringify(role)}]`);
		expectForbidden(await hit(at.roles, token), token, "roles");
	});
});
