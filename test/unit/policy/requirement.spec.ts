import { describeRequirement, RequirementMemo, requirementOf, scopesNamed } from "../../../lib/auth/policy/requirement";

describe("requirementOf", () => {
	it.each([
		[undefined, { kind: "required", demands: null }],
		[null, { kind: "required", demands: null }],
		["required", { kind: "required", demands: null }],
		[false, { kind: "public" }],
		["optional", { kind: "optional" }],
		// Asks nothing beyond a valid token: compiled to the plain requirement, which costs nothing per request.
		[{ scopes: [] }, { kind: "required", demands: null }]
	])("reads %j", (auth, requirement) => {
		expect(requirementOf(auth)).toEqual(requirement);
	});

	it("compiles every part of a declaration", () => {
		const requirement = requirementOf({
			scopes: ["read:things"],
			anyScope: ["a", "b"],
			permissions: ["delete:things"],
			roles: ["admin"],
			claims: { "org.id": "acme", email_verified: true, level: 3 },
			issuers: ["https://a.example.com/"]
		});
		expect(requirement).toEqual({
			kind: "required",
			demands: {
				scopes: ["read:things"],
				anyScope: ["a", "b"],
				permissions: ["delete:things"],
				roles: ["admin"],
				claims: [
					{ path: { name: "org.id", segments: ["org", "id"] }, value: "acme" },
					{ path: { name: "email_verified", segments: ["email_verified"] }, value: true },
					{ path: { name: "level", segments: ["level"] }, value: 3 }
				],
				issuers: ["https://a.example.com/"]
			}
		});
	});

	it("compiles a declaration object once per memo: the same object gives the same compiled requirement", () => {
		const declaration = { roles: ["admin"] };
		const memo = new RequirementMemo();
		const first = memo.of(declaration);
		expect(memo.of(declaration)).toBe(first);
		// An equal but distinct declaration (another action, another node's INFO) is compiled on its own.
		expect(memo.of({ roles: ["admin"] })).not.toBe(first);
		expect(memo.of({ roles: ["admin"] })).toEqual(first);
		// Another service's memo shares nothing with this one; outside a memo, every call compiles.
		expect(new RequirementMemo().of(declaration)).not.toBe(first);
		expect(requirementOf(declaration)).not.toBe(requirementOf(declaration));
		expect(memo.of("optional")).toEqual(requirementOf("optional"));
	});

	it.each([
		[{ scopes: "write:things" }],
		[{ scope: ["write:things"] }],
		[{ scopes: ["a", 2] }],
		[{ scopes: ["a b"] }],
		[{ scopes: [""] }],
		[{ anyScope: [] }],
		[{ anyScope: ["a b"] }],
		[{ permissions: ["read things"] }],
		[{ permissions: "read:things" }],
		[{ roles: [] }],
		[{ roles: ["admin "] }],
		[{ roles: [" admin"] }],
		[{ roles: "admin" }],
		[{ claims: [] }],
		[{ claims: { "org..id": "acme" } }],
		[{ claims: { "__proto__.polluted": "yes" } }],
		[{ claims: { "constructor.name": "Object" } }],
		[{ claims: { "a.prototype": "x" } }],
		[{ claims: { tenant: { id: "acme" } } }],
		[{ claims: { tenant: null } }],
		[{ claims: { tenant: ["acme"] } }],
		[{ issuers: [] }],
		[{ issuers: "https://a.example.com/" }],
		[{ scopes: ["a"], role: ["admin"] }],
		[true],
		["public"],
		[0],
		[[]],
		[{}]
	])("fails closed on the misdeclared %j", auth => {
		expect(requirementOf(auth)).toEqual({ kind: "misdeclared" });
	});

	it("refuses a __proto__ part given as an own property", () => {
		expect(requirementOf(JSON.parse('{"__proto__": {"roles": ["admin"]}}'))).toEqual({ kind: "misdeclared" });
	});
});

describe("what a compiled requirement names", () => {
	it("names the scopes of scopes and anyScope only", () => {
		expect(scopesNamed(requirementOf({ scopes: ["a"], anyScope: ["b", "c"], permissions: ["p"] }))).toEqual(["a", "b", "c"]);
		expect(scopesNamed(requirementOf(false))).toEqual([]);
		expect(scopesNamed(requirementOf(undefined))).toEqual([]);
	});

	it.each([
		[false, "public"],
		["optional", "optional token (a bad one is refused)"],
		[undefined, "a valid token"],
		[{ scopes: "x" }, "nobody (the declaration cannot be read)"],
		[{ scopes: ["a", "b"], roles: ["admin", "ops"] }, "a valid token with scopes all of [a b] and roles any of [admin, ops]"],
		[
			{ issuers: ["https://a/"], anyScope: ["x", "y"], permissions: ["p"], claims: { "org.id": "acme", level: 3 } },
			'a valid token with issuer one of [https://a/] and scopes any of [x y] and permissions all of [p] and claim org.id = "acme" and claim level = 3'
		]
	])("describes %j for people", (auth, text) => {
		expect(describeRequirement(requirementOf(auth))).toBe(text);
	});
});
