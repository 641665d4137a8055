import { challengeFor, reject, REASON_NAMES, REASONS } from "../../../lib/auth/policy/reasons";

describe("the reason table", () => {
	it("gives every reason one status, type and challenge kind that agree", () => {
		for (const reason of REASON_NAMES) {
			const spec = REASONS[reason];
			if (spec.status === 401 && reason !== "no_token") expect([spec.type, spec.error]).toEqual(["INVALID_TOKEN", "invalid_token"]);
			if (spec.status === 403 && reason === "insufficient_scope") expect([spec.type, spec.error]).toEqual(["INSUFFICIENT_SCOPE", "insufficient_scope"]);
			if (spec.status === 403 && reason !== "insufficient_scope") expect(spec.error).toBeNull();
			if (spec.status === 503) expect([spec.type, spec.error]).toEqual(["JWKS_UNAVAILABLE", null]);
			expect(spec.description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
		}
		expect(REASONS.no_token).toMatchObject({ status: 401, type: "NO_TOKEN", error: null });
	});

	it("challenges a request without credentials with no error attribute (RFC 6750 §3.1)", () => {
		expect(challengeFor(reject("no_token"))).toBe('Bearer realm="api"');
	});

	it("describes an invalid token", () => {
		expect(challengeFor(reject("expired"))).toBe('Bearer realm="api", error="invalid_token", error_description="The token has expired"');
	});

	it("names every required scope on a 403", () => {
		const header = challengeFor({ ...reject("insufficient_scope"), requiredScopes: ["read:things", "write:things"] });
		expect(header).toBe(
			'Bearer realm="api", error="insufficient_scope", error_description="The token lacks a scope this action requires", scope="read:things write:things"'
		);
	});

	it("keeps quotes and backslashes out of quoted attributes", () => {
		const header = challengeFor(reject("malformed", 'bad "quote" \\ and\nnewline')) as string;
		expect(header).toBe('Bearer realm="api", error="invalid_token", error_description="bad quote  andnewline"');
	});

	it("answers a subject that may not call the action 403 ACCESS_DENIED with no challenge", () => {
		expect(REASONS.access_denied).toMatchObject({ status: 403, type: "ACCESS_DENIED", error: null });
		expect(challengeFor({ ...reject("access_denied"), requirement: "roles" }, "https://api.example.com/.well-known/oauth-protected-resource")).toBeNull();
	});

	it("names the resource metadata (RFC 9728) in 401 challenges only", () => {
		const url = "https://api.example.com/.well-known/oauth-protected-resource";
		expect(challengeFor(reject("no_token"), url)).toBe(`Bearer realm="api", resource_metadata="${url}"`);
		expect(challengeFor(reject("expired"), url)).toBe(`Bearer realm="api", error="invalid_token", error_description="The token has expired", resource_metadata="${url}"`);
		expect(challengeFor({ ...reject("insufficient_scope"), requiredScopes: ["a"] }, url)).toBe(
			'Bearer realm="api", error="insufficient_scope", error_description="The token lacks a scope this action requires", scope="a"'
		);
		expect(challengeFor(reject("jwks_unavailable"), url)).toBeNull();
	});

	it("sends no challenge with a 503 or a misdeclared action's 403", () => {
		expect(challengeFor(reject("jwks_unavailable"))).toBeNull();
		expect(challengeFor(reject("action_misdeclared"))).toBeNull();
	});
});
