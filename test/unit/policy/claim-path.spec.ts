/**
 * Reading a dotted path out of attacker-shaped JSON: only own properties of plain objects are
 * followed, whatever the token puts in the way.
 */
import { claimAt, claimHolds, parseClaimPath, type ClaimPath } from "../../../lib/auth/policy/claim-path";

const path = (text: string) => parseClaimPath(text) as ClaimPath;
const claims = (json: string) => JSON.parse(json) as Record<string, unknown>;

describe("parseClaimPath", () => {
	it("splits on dots", () => {
		expect(parseClaimPath("realm_access.roles")).toEqual({ name: "realm_access.roles", segments: ["realm_access", "roles"] });
	});

	it.each(["", ".roles", "roles.", "a..b", "__proto__", "a.constructor", "prototype.x", "x".repeat(257), 7, null])("refuses %j", value => {
		expect(parseClaimPath(value)).toBeNull();
	});
});

describe("claimAt", () => {
	it("follows nested objects (Keycloak)", () => {
		expect(claimAt(claims('{"realm_access":{"roles":["admin"]}}'), path("realm_access.roles"))).toEqual(["admin"]);
	});

	it("takes a claim whose own name has dots as a whole first (Auth0 namespaced claims)", () => {
		expect(claimAt(claims('{"https://example.com/roles":["admin"]}'), path("https://example.com/roles"))).toEqual(["admin"]);
	});

	it("never reaches a prototype: an own __proto__ claim is not a way into the object", () => {
		const hostile = claims('{"__proto__":{"roles":["admin"]},"org":{"__proto__":{"id":"acme"}}}');
		expect(claimAt(hostile, path("roles"))).toBeUndefined();
		expect(claimAt(hostile, path("org.id"))).toBeUndefined();
	});

	it("never reads an inherited claim, even when a copy made the token's __proto__ a real prototype", () => {
		const copied: Record<string, unknown> = Object.assign({}, claims('{"__proto__":{"roles":["admin"]}}'));
		expect(copied.roles).toEqual(["admin"]);
		expect(claimAt(copied, path("roles"))).toBeUndefined();
	});

	it("never reads inherited members such as toString or hasOwnProperty", () => {
		expect(claimAt(claims("{}"), path("toString"))).toBeUndefined();
		expect(claimAt(claims('{"org":{}}'), path("org.hasOwnProperty"))).toBeUndefined();
	});

	it("does not walk through an array, by index or by name", () => {
		const through = claims('{"orgs":[{"id":"acme"}],"list":["x"]}');
		expect(claimAt(through, path("orgs.0.id"))).toBeUndefined();
		expect(claimAt(through, path("orgs.id"))).toBeUndefined();
		expect(claimAt(through, path("list.length"))).toBeUndefined();
	});

	it("does not step into a string or a number", () => {
		expect(claimAt(claims('{"org":"acme"}'), path("org.length"))).toBeUndefined();
		expect(claimAt(claims('{"n":5}'), path("n.toFixed"))).toBeUndefined();
	});
});

describe("claimHolds", () => {
	it("compares without conversion", () => {
		expect(claimHolds("acme", "acme")).toBe(true);
		expect(claimHolds(["x", "acme"], "acme")).toBe(true);
		expect(claimHolds(3, 3)).toBe(true);
		expect(claimHolds("3", 3)).toBe(false);
		expect(claimHolds("true", true)).toBe(false);
		expect(claimHolds(["3"], 3)).toBe(false);
	});

	it("is false for an object where a string is expected, whatever it carries", () => {
		expect(claimHolds({ toString: "acme", valueOf: "acme" }, "acme")).toBe(false);
		expect(claimHolds([["acme"]], "acme")).toBe(false);
		expect(claimHolds([{ id: "acme" }], "acme")).toBe(false);
	});

	it("compares case and whitespace exactly", () => {
		expect(claimHolds(["Admin"], "admin")).toBe(false);
		expect(claimHolds(["admin "], "admin")).toBe(false);
		expect(claimHolds(" admin", "admin")).toBe(false);
	});
});
