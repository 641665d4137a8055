import { DEFAULTS } from "../../../lib/auth/policy/config";
import { parseAuthConfig } from "../../../lib/auth/policy/env";
import { CONFIG_VARIABLES } from "../../../lib/auth/policy/variables";
import { configFailure } from "../../support/config-failure";

const ISSUER = "https://auth.example.com/";

const failure = configFailure;

describe("parseAuthConfig", () => {
	it("applies the documented defaults", () => {
		const config = parseAuthConfig({ JWT_ISSUER: ISSUER });
		expect(config).toMatchObject({
			issuers: [{ issuer: ISSUER, jwksUri: null }],
			audience: null,
			algorithms: ["RS256", "EdDSA"],
			clockTolerance: 5,
			maxTokenAge: null,
			type: null,
			jwks: { cacheMaxAge: 600000, cooldown: 30000, timeout: 5000, staleMaxAge: 86400000 }
		});
	});

	it("documents every default it applies", () => {
		const documented = new Map(CONFIG_VARIABLES.map(v => [v.name, v.default]));
		for (const [name, value] of Object.entries(DEFAULTS)) {
			if (name === "DEV_ISSUER_PATH") continue;
			expect(documented.get(name)).toBe(String(value));
		}
	});

	it("is an error without an issuer: the package never points at a development issuer by itself", () => {
		expect(failure({}).variable).toBe("JWT_ISSUER");
		expect(failure({ PORT: "4100" }).message).toMatch(/^JWT_ISSUER: is required; set it to your issuer's URL/);
		expect(failure({ NODE_ENV: "production" }).variable).toBe("JWT_ISSUER");
	});

	it("trusts several issuers, each exactly as written (trailing slash kept)", () => {
		const config = parseAuthConfig({ JWT_ISSUER: `${ISSUER}, https://other.example.com` });
		expect(config.issuers.map(i => i.issuer)).toEqual([ISSUER, "https://other.example.com"]);
	});

	it.each([
		[{ JWT_ISSUER: "not a url" }, "JWT_ISSUER"],
		[{ JWT_ISSUER: "ftp://auth.example.com" }, "JWT_ISSUER"],
		[{ JWT_ISSUER: ",," }, "JWT_ISSUER"],
		[{ JWT_ISSUER: `${ISSUER},${ISSUER}` }, "JWT_ISSUER"],
		[{ JWT_ISSUER: `${ISSUER},https://b.example.com`, JWKS_URI: "https://a.example.com/jwks" }, "JWKS_URI"],
		[{ JWT_ISSUER: ISSUER, JWT_ALGORITHMS: "none" }, "JWT_ALGORITHMS"],
		[{ JWT_ISSUER: ISSUER, JWT_ALGORITHMS: "RS256,NONE" }, "JWT_ALGORITHMS"],
		[{ JWT_ISSUER: ISSUER, JWT_ALGORITHMS: "HS256" }, "JWT_ALGORITHMS"],
		[{ JWT_ISSUER: ISSUER, JWT_ALGORITHMS: "RS1024" }, "JWT_ALGORITHMS"],
		[{ JWT_ISSUER: ISSUER, JWT_ALGORITHMS: "," }, "JWT_ALGORITHMS"],
		[{ JWT_ISSUER: ISSUER, JWT_CLOCK_TOLERANCE: "5s" }, "JWT_CLOCK_TOLERANCE"],
		[{ JWT_ISSUER: ISSUER, JWT_CLOCK_TOLERANCE: "-1" }, "JWT_CLOCK_TOLERANCE"],
		[{ JWT_ISSUER: ISSUER, JWT_MAX_TOKEN_AGE: "1e3" }, "JWT_MAX_TOKEN_AGE"],
		[{ JWT_ISSUER: ISSUER, JWKS_TIMEOUT: "abc" }, "JWKS_TIMEOUT"],
		[{ JWT_ISSUER: ISSUER, JWKS_COOLDOWN: "1.5" }, "JWKS_COOLDOWN"],
		[{ JWT_ISSUER: ISSUER, JWKS_CACHE_MAX_AGE: "10" }, "JWKS_CACHE_MAX_AGE"],
		[{ JWT_ISSUER: ISSUER, JWKS_STALE_MAX_AGE: "1000" }, "JWKS_STALE_MAX_AGE"],
		[{ JWT_ISSUER: ISSUER, PORT: "70000" }, "PORT"],
		[{ JWT_ISSUER: ISSUER, JWT_AUDIENCE: " , " }, "JWT_AUDIENCE"]
	])("stops on %j naming %s", (env, variable) => {
		const error = failure(env);
		expect(error.variable).toBe(variable);
		expect(error.message.startsWith(`${variable}: `)).toBe(true);
		expect(error.message).not.toContain("\n");
	});

	it("normalises JWT_TYPE as RFC 9068 compares it", () => {
		expect(parseAuthConfig({ JWT_ISSUER: ISSUER, JWT_TYPE: "application/AT+JWT" }).type).toBe("at+jwt");
	});

	it("gives every issuer of JWT_ISSUER the environment's rules", () => {
		const config = parseAuthConfig({ JWT_ISSUER: `${ISSUER},https://b.example.com`, JWT_AUDIENCE: "a", JWT_TYPE: "at+jwt", JWT_MAX_TOKEN_AGE: "60" });
		const rules = { audience: ["a"], algorithms: ["RS256", "EdDSA"], clockTolerance: 5, maxTokenAge: 60, type: "at+jwt" };
		expect(config.issuers.map(issuer => issuer.rules)).toEqual([rules, rules]);
	});

	it("reads JWT_ROLES_CLAIM as a dotted path and PUBLIC_URL without its trailing slash", () => {
		expect(parseAuthConfig({ JWT_ISSUER: ISSUER, PORT: "8080" })).toMatchObject({ rolesClaim: "roles", publicUrl: "http://localhost:8080" });
		const config = parseAuthConfig({ JWT_ISSUER: ISSUER, JWT_ROLES_CLAIM: "realm_access.roles", PUBLIC_URL: "https://api.example.com/" });
		expect(config).toMatchObject({ rolesClaim: "realm_access.roles", publicUrl: "https://api.example.com" });
	});

	it.each([
		[{ JWT_ROLES_CLAIM: "realm_access..roles" }, "JWT_ROLES_CLAIM"],
		[{ JWT_ROLES_CLAIM: "__proto__.roles" }, "JWT_ROLES_CLAIM"],
		[{ JWT_ROLES_CLAIM: "constructor" }, "JWT_ROLES_CLAIM"],
		[{ PUBLIC_URL: "api.example.com" }, "PUBLIC_URL"],
		[{ PUBLIC_URL: "https://api.example.com/?a=1" }, "PUBLIC_URL"],
		[{ PUBLIC_URL: 'https://api.example.com/"x' }, "PUBLIC_URL"],
		[{ PUBLIC_URL: "https://user:pw@api.example.com" }, "PUBLIC_URL"]
	])("stops on the authorization setting %j naming %s", (env, variable) => {
		expect(failure({ JWT_ISSUER: ISSUER, ...env }).variable).toBe(variable);
	});

	it("splits audiences and algorithms", () => {
		const config = parseAuthConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: "a, b", JWT_ALGORITHMS: "ES256, PS256" });
		expect(config.audience).toEqual(["a", "b"]);
		expect(config.algorithms).toEqual(["ES256", "PS256"]);
	});
});

describe("https for key URLs in production", () => {
	const production = { NODE_ENV: "production" };

	it.each([
		["JWT_ISSUER", { JWT_ISSUER: "http://auth.example.com/" }],
		["JWKS_URI", { JWT_ISSUER: ISSUER, JWKS_URI: "http://auth.example.com/jwks.json" }],
		["JWT_ISSUER", { JWT_ISSUER: `${ISSUER},http://10.0.0.5/issuer` }]
	])("stops at start on a plain-http %s, naming the URL", (variable, env) => {
		const err = failure({ ...production, ...env });
		expect(err.variable).toBe(variable);
		expect(err.message).toMatch(/"http:\/\/[^"]+" is not https/);
		expect(err.message).toContain("JWT_ALLOW_HTTP=true");
	});

	it.each(["http://127.0.0.1:8080/issuer", "http://127.9.9.9/", "http://localhost:3000/", "http://[::1]:3000/"])("accepts the loopback issuer %s", issuer => {
		expect(parseAuthConfig({ ...production, JWT_ISSUER: issuer }).jwks.requireHttps).toBe(true);
	});

	it("accepts plain http with JWT_ALLOW_HTTP=true, and requires https for discovery otherwise", () => {
		const allowed = parseAuthConfig({ ...production, JWT_ISSUER: "http://issuer:3000/", JWT_ALLOW_HTTP: "true" });
		expect(allowed.jwks.requireHttps).toBe(false);
		expect(parseAuthConfig({ ...production, JWT_ISSUER: ISSUER }).jwks.requireHttps).toBe(true);
		expect(parseAuthConfig({ JWT_ISSUER: "http://issuer:3000/" }).jwks.requireHttps).toBe(false);
		expect(failure({ ...production, JWT_ISSUER: ISSUER, JWT_ALLOW_HTTP: "yes" }).variable).toBe("JWT_ALLOW_HTTP");
	});
});
