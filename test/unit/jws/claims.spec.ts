import { checkClaims, type ClaimRules } from "../../../lib/auth/jws/claims";

const NOW = 1_800_000_000;
const rules: ClaimRules = { audience: null, clockTolerance: 5, maxTokenAge: null, type: null };
const header = { alg: "RS256" };

function reasonOf(payload: Record<string, unknown>, overrides: Partial<ClaimRules> = {}, head: Record<string, unknown> = header): string {
	return checkClaims(head as { alg: string }, payload, { ...rules, ...overrides }, NOW)?.reason ?? "ok";
}

describe("checkClaims", () => {
	it("accepts a current token", () => {
		expect(reasonOf({ exp: NOW + 60, iat: NOW, nbf: NOW })).toBe("ok");
	});

	it.each([
		["no exp", {}, "missing_claim"],
		["exp as a string", { exp: String(NOW + 60) }, "invalid_claim"],
		["exp infinite (1e400)", { exp: Number.POSITIVE_INFINITY }, "invalid_claim"],
		["exp null", { exp: null }, "invalid_claim"],
		["expired beyond the tolerance", { exp: NOW - 5 }, "expired"],
		["nbf beyond the tolerance", { exp: NOW + 60, nbf: NOW + 6 }, "not_yet_valid"],
		["nbf as a string", { exp: NOW + 60, nbf: "0" }, "invalid_claim"],
		["iat in the future", { exp: NOW + 60, iat: NOW + 6 }, "issued_in_future"],
		["iat an array", { exp: NOW + 60, iat: [NOW] }, "invalid_claim"],
		["sub an array", { exp: NOW + 60, sub: ["a"] }, "invalid_claim"]
	])("rejects %s", (_name, payload, reason) => {
		expect(reasonOf(payload)).toBe(reason);
	});

	it("allows the clock tolerance on each time claim", () => {
		expect(reasonOf({ exp: NOW - 4, nbf: NOW + 5, iat: NOW + 5 })).toBe("ok");
	});

	it("limits the token age when JWT_MAX_TOKEN_AGE is set", () => {
		expect(reasonOf({ exp: NOW + 60 }, { maxTokenAge: 300 })).toBe("missing_claim");
		expect(reasonOf({ exp: NOW + 60, iat: NOW - 306 }, { maxTokenAge: 300 })).toBe("too_old");
		expect(reasonOf({ exp: NOW + 60, iat: NOW - 300 }, { maxTokenAge: 300 })).toBe("ok");
	});

	it("checks the audience as a string or an array", () => {
		const audience = ["api://one", "api://two"];
		expect(reasonOf({ exp: NOW + 60, aud: "api://two" }, { audience })).toBe("ok");
		expect(reasonOf({ exp: NOW + 60, aud: ["x", "api://one"] }, { audience })).toBe("ok");
		expect(reasonOf({ exp: NOW + 60, aud: "api://three" }, { audience })).toBe("audience_mismatch");
		expect(reasonOf({ exp: NOW + 60, aud: [] }, { audience })).toBe("audience_mismatch");
		expect(reasonOf({ exp: NOW + 60 }, { audience })).toBe("missing_claim");
		expect(reasonOf({ exp: NOW + 60, aud: { one: 1 } }, { audience })).toBe("invalid_claim");
		expect(reasonOf({ exp: NOW + 60, aud: ["api://one", 2] }, { audience })).toBe("invalid_claim");
	});

	it("checks typ case-insensitively with or without application/", () => {
		expect(reasonOf({ exp: NOW + 60 }, { type: "at+jwt" }, { alg: "RS256", typ: "application/AT+JWT" })).toBe("ok");
		expect(reasonOf({ exp: NOW + 60 }, { type: "at+jwt" }, { alg: "RS256", typ: "JWT" })).toBe("type_mismatch");
		expect(reasonOf({ exp: NOW + 60 }, { type: "at+jwt" })).toBe("type_mismatch");
	});
});

describe("checkClaims, the whole answer", () => {
	const check = (payload: Record<string, unknown>, overrides: Partial<ClaimRules> = {}, head: Record<string, unknown> = header) =>
		checkClaims(head as { alg: string }, payload, { ...rules, ...overrides }, NOW);

	it("answers null, and nothing else, for a token that passes every rule", () => {
		expect(check({ exp: NOW + 60, nbf: NOW, iat: NOW, sub: "u", jti: "j", aud: "api" }, { audience: ["api"], maxTokenAge: 60, type: "at+jwt" }, { alg: "RS256", typ: "at+jwt" })).toBeNull();
	});

	it.each([
		["exp absent", {}, {}, { reason: "missing_claim", detail: "The token has no exp claim" }],
		["exp not a number", { exp: "soon" }, {}, { reason: "invalid_claim", detail: "The exp claim must be a number" }],
		["nbf not a number", { exp: NOW + 60, nbf: "0" }, {}, { reason: "invalid_claim", detail: "The nbf claim must be a number" }],
		["iat not a number", { exp: NOW + 60, iat: "0" }, {}, { reason: "invalid_claim", detail: "The iat claim must be a number" }],
		["sub not a string", { exp: NOW + 60, sub: 7 }, {}, { reason: "invalid_claim", detail: "The sub claim must be a string" }],
		["jti not a string", { exp: NOW + 60, jti: 7 }, {}, { reason: "invalid_claim", detail: "The jti claim must be a string" }],
		["iat absent under a maximum age", { exp: NOW + 60 }, { maxTokenAge: 300 }, { reason: "missing_claim", detail: "The token has no iat claim" }],
		["aud absent", { exp: NOW + 60 }, { audience: ["api"] }, { reason: "missing_claim", detail: "The token has no aud claim" }],
		["aud a number", { exp: NOW + 60, aud: 1 }, { audience: ["api"] }, { reason: "invalid_claim", detail: "The aud claim must be a string or an array of strings" }]
	])("names what is wrong (the client's error_description): %s", (_name, payload, overrides, rejection) => {
		expect(check(payload, overrides)).toEqual({ ok: false, ...rejection });
	});

	it("measures the maximum age with the tolerance, to the second", () => {
		expect(check({ exp: NOW + 60, iat: NOW - 305 }, { maxTokenAge: 300 })).toBeNull();
		expect(check({ exp: NOW + 60, iat: NOW - 306 }, { maxTokenAge: 300 })).toEqual({ ok: false, reason: "too_old" });
	});

	it("checks typ after an accepted audience", () => {
		expect(check({ exp: NOW + 60, aud: "api" }, { audience: ["api"], type: "at+jwt" }, { alg: "RS256", typ: "JWT" })).toEqual({ ok: false, reason: "type_mismatch" });
	});
});
