import { requirementOf } from "../../lib/auth/requirement";

describe("requirementOf", () => {
	it.each([
		[undefined, { kind: "required", scopes: [] }],
		[null, { kind: "required", scopes: [] }],
		["required", { kind: "required", scopes: [] }],
		[false, { kind: "public" }],
		["optional", { kind: "optional" }],
		[{ scopes: ["read:things", "write:things"] }, { kind: "required", scopes: ["read:things", "write:things"] }]
	])("reads %j", (auth, requirement) => {
		expect(requirementOf(auth)).toEqual(requirement);
	});

	it.each([[{ scopes: "write:things" }], [{ scope: ["write:things"] }], [{ scopes: ["a", 2] }], [{ scopes: ["a b"] }], [{ scopes: [""] }], [true], ["public"], [0], [{}]])(
		"fails closed on the misdeclared %j",
		auth => {
			expect(requirementOf(auth)).toEqual({ kind: "misdeclared" });
		}
	);
});
