import fc from "fast-check";
import { bearerToken } from "../../../lib/auth/policy/bearer";

/** The rule as one regular expression (the former implementation): the hand-written reader must agree with it. */
function byRegex(authorization: string | undefined): string | null {
	if (authorization === undefined) return null;
	const token = /^bearer(?: +(.*))?$/i.exec(authorization.trim())?.[1]?.trim();
	return token ? token : null;
}

describe("bearerToken", () => {
	it.each([
		["Bearer abc", "abc"],
		["bEaReR abc", "abc"],
		["Bearer    abc  ", "abc"],
		["  Bearer abc", "abc"],
		["Bearer a b", "a b"],
		["Bearer", null],
		["Bearer ", null],
		["Bearer    ", null],
		["Bearerabc", null],
		["Bearer\tabc", null],
		["Basic abc", null],
		["Bearer ab\ncd", null],
		["Bearer ab\u2028cd", null],
		["", null],
		[undefined, null]
	])("reads %j as %j", (header, expected) => {
		expect(bearerToken(header)).toBe(expected);
		expect(byRegex(header)).toBe(expected);
	});

	it("agrees with the regular expression on generated headers", () => {
		const pieces = fc.constantFrom("Bearer", "bearer", "BEARER", "Bearer ", " ", "  ", "\t", "\n", "\r", "\u2028", "\u00a0", "a", "eyJ", ".", "x y", "Basic ");
		const header = fc.array(pieces, { maxLength: 8 }).map(parts => parts.join(""));
		fc.assert(
			fc.property(fc.oneof(header, fc.string(), fc.constant(undefined)), value => {
				expect(bearerToken(value)).toBe(byRegex(value));
			}),
			{ numRuns: 5000 }
		);
	});
});
