import { DEFAULTS } from "../../../lib/auth/policy/config";
import { fromEnv } from "../../../lib/auth/policy/env";
import { ISSUER_FIELDS, JWKS_FIELDS, OPTION_NAMES, OptionsError, resolveOptions, REVOCATION_FIELDS, type JwtAuthOptions } from "../../../lib/auth/policy/options";
import { OPTION_DOCS } from "../../../lib/auth/policy/option-docs";
import { jwtAuth } from "moleculer-jwks-auth";

const ISSUER = "https://auth.example.com/";

function optionsFailure(options: unknown): OptionsError {
	try {
		resolveOptions(options as JwtAuthOptions);
	} catch (err) {
		if (err instanceof OptionsError) return err;
		throw err;
	}
	throw new Error("expected an OptionsError");
}

describe("jwtAuth options", () => {
	it("applies the documented defaults (the environment's)", () => {
		const config = resolveOptions({ issuer: ISSUER });
		expect(config).toMatchObject({
			issuers: [{ issuer: ISSUER, jwksUri: null, rules: { audience: null, algorithms: ["RS256", "EdDSA"], clockTolerance: 5, maxTokenAge: null, type: null } }],
			jwks: { cacheMaxAge: DEFAULTS.JWKS_CACHE_MAX_AGE, cooldown: DEFAULTS.JWKS_COOLDOWN, timeout: DEFAULTS.JWKS_TIMEOUT, staleMaxAge: DEFAULTS.JWKS_STALE_MAX_AGE, requireHttps: true },
			rolesClaim: "roles",
			publicUrl: null,
			propagateToken: false,
			mapUser: null
		});
	});

	it("reads typed options as the environment's variables do", () => {
		const mapUser = (claims: Readonly<Record<string, unknown>>) => ({ id: claims.sub });
		const config = resolveOptions({
			issuer: ISSUER,
			jwksUri: "https://auth.example.com/keys",
			audience: "orders-api",
			algorithms: ["ES256"],
			clockTolerance: 0,
			maxTokenAge: 300,
			tokenType: "application/AT+JWT",
			jwks: { cacheMaxAge: 60_000, cooldown: 0, timeout: 1000, staleMaxAge: 60_000 },
			mapUser
		});
		expect(config.issuers).toEqual([
			{ issuer: ISSUER, jwksUri: "https://auth.example.com/keys", rules: { audience: ["orders-api"], algorithms: ["ES256"], clockTolerance: 0, maxTokenAge: 300, type: "at+jwt" } }
		]);
		expect(config.jwks).toMatchObject({ cacheMaxAge: 60_000, cooldown: 0, timeout: 1000, staleMaxAge: 60_000 });
		expect(config.mapUser).toBe(mapUser);
	});

	it("gives each of several issuers its own rules, the top-level ones where it has none", () => {
		const config = resolveOptions({ issuers: [ISSUER, { issuer: "https://b.example.com/", audience: ["b"], algorithms: ["PS256"] }], audience: "top" });
		expect(config.issuers.map(issuer => [issuer.issuer, issuer.rules.audience, issuer.rules.algorithms])).toEqual([
			[ISSUER, ["top"], ["RS256", "EdDSA"]],
			["https://b.example.com/", ["b"], ["PS256"]]
		]);
	});

	it.each([
		[{}, "issuer", /^jwtAuth: options\.issuer is required/],
		[{ issuer: "" }, "issuer", /must be a non-empty string/],
		[{ issuer: "not a url" }, "issuer", /is not a URL/],
		[{ issuer: ISSUER, issuers: [ISSUER] }, "issuers", /cannot be given with options\.issuer/],
		[{ issuers: [] }, "issuers", /non-empty array/],
		[{ issuers: [ISSUER, ISSUER] }, "issuers[1].issuer", /listed twice/],
		[{ issuers: [{ issuer: ISSUER, type: "at+jwt" }] }, "issuers[0].type", /is not an option/],
		[{ issuers: [ISSUER], jwksUri: "https://a.example.com/keys" }, "jwksUri", /only applies with options\.issuer/],
		[{ issuer: ISSUER, audiance: "x" }, "audiance", /is not an option; the options are issuer, issuers/],
		[{ issuer: ISSUER, audience: [] }, "audience", /must be a string or a non-empty array of strings/],
		[{ issuer: ISSUER, algorithms: ["HS256"] }, "algorithms", /is symmetric/],
		[{ issuer: ISSUER, algorithms: ["none"] }, "algorithms", /would accept unsigned tokens/],
		[{ issuer: ISSUER, algorithms: "RS256" }, "algorithms", /must be an array/],
		[{ issuer: ISSUER, clockTolerance: 5.5 }, "clockTolerance", /whole number of seconds from 0 to 3600/],
		[{ issuer: ISSUER, maxTokenAge: 0 }, "maxTokenAge", /at least 1/],
		[{ issuer: ISSUER, jwks: { timeout: "5s" } }, "jwks.timeout", /whole number of ms from 1 to 300000, got "5s"/],
		[{ issuer: ISSUER, jwks: { ttl: 1 } }, "jwks.ttl", /is not an option/],
		[{ issuer: ISSUER, jwks: { cacheMaxAge: 10_000, staleMaxAge: 5000 } }, "jwks.staleMaxAge", /shorter than jwks\.cacheMaxAge/],
		[{ issuer: "http://auth.example.com/" }, "issuer", /"http:\/\/auth\.example\.com\/" is not https; use https, or set allowHttp: true/],
		[{ issuer: ISSUER, rolesClaim: "a..b" }, "rolesClaim", /is not a claim path/],
		[{ issuer: ISSUER, publicUrl: "api.example.com" }, "publicUrl", /is not a URL/],
		[{ issuer: ISSUER, revocation: { redisUrl: "http://redis" } }, "revocation.redisUrl", /redis:\/\/ or rediss:\/\//],
		[{ issuer: ISSUER, mapUser: "sub" }, "mapUser", /must be a function/],
		[{ issuer: ISSUER, screenRequestIds: "yes" }, "screenRequestIds", /must be true or false/]
	])("refuses %j with one line naming options.%s", (options, option, message) => {
		const error = optionsFailure(options);
		expect(error.option).toBe(option);
		expect(error.message.startsWith(`jwtAuth: options.${option} `)).toBe(true);
		expect(error.message).toMatch(message);
		expect(error.message).not.toContain("\n");
	});

	it("accepts plain http on loopback, and elsewhere only with allowHttp", () => {
		expect(resolveOptions({ issuer: "http://127.0.0.1:8080/issuer" }).jwks.requireHttps).toBe(true);
		expect(resolveOptions({ issuer: "http://issuer:8080/", allowHttp: true }).jwks.requireHttps).toBe(false);
	});

	it("fails when the mixin is created, not when the first request comes", () => {
		expect(() => jwtAuth({} as JwtAuthOptions)).toThrow(/^jwtAuth: options\.issuer is required/);
		expect(() => jwtAuth({ issuer: ISSUER, audience: "" })).toThrow("jwtAuth: options.audience[0] must be a non-empty string");
	});
});

describe("the options' documentation (the README's table)", () => {
	it("documents every option the validator accepts, and no other", () => {
		const documented = OPTION_DOCS.map(doc => doc.option).sort();
		const nested = (prefix: string, fields: ReadonlySet<string>) => [...fields].map(field => `${prefix}.${field}`);
		const accepted = [...OPTION_NAMES.filter(name => name !== "jwks" && name !== "revocation"), ...nested("jwks", JWKS_FIELDS), ...nested("revocation", REVOCATION_FIELDS)].sort();
		expect(documented).toEqual(accepted);
		expect(OPTION_DOCS.find(doc => doc.option === "issuers")?.meaning).toContain(`{ ${[...ISSUER_FIELDS].join(", ").replace(/, /g, "?, ").replace("issuer?", "issuer")}? }`);
	});

	it("documents the defaults the validator applies", () => {
		const config = resolveOptions({ issuer: ISSUER });
		const documented = new Map(OPTION_DOCS.map(doc => [doc.option, doc.default]));
		const applied: Record<string, unknown> = {
			algorithms: JSON.stringify(config.algorithms),
			clockTolerance: config.clockTolerance,
			"jwks.cacheMaxAge": config.jwks.cacheMaxAge,
			"jwks.cooldown": config.jwks.cooldown,
			"jwks.timeout": config.jwks.timeout,
			"jwks.staleMaxAge": config.jwks.staleMaxAge,
			allowHttp: !config.jwks.requireHttps,
			rolesClaim: config.rolesClaim,
			"revocation.maxEntries": config.revocation.maxEntries,
			"revocation.maxLifetime": config.revocation.maxLifetime,
			propagateToken: config.propagateToken,
			maxTokenAge: config.maxTokenAge ?? "none",
			tokenType: config.type ?? "none",
			audience: config.audience ?? "none",
			publicUrl: config.publicUrl ?? "none"
		};
		for (const [option, value] of Object.entries(applied)) expect([option, documented.get(option)]).toEqual([option, String(value)]);
	});
});

describe("fromEnv", () => {
	it("reads today's variables into options that jwtAuth accepts as they are", () => {
		const options = fromEnv({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: "a,b", JWT_TYPE: "at+jwt", JWKS_TIMEOUT: "2000", PORT: "8080" });
		expect(options).toMatchObject({ issuer: ISSUER, audience: ["a", "b"], tokenType: "at+jwt", jwks: { timeout: 2000 }, publicUrl: "http://localhost:8080", allowHttp: true });
		expect(resolveOptions(options).issuers[0]?.rules).toMatchObject({ audience: ["a", "b"], type: "at+jwt" });
	});

	it("requires https off loopback with NODE_ENV=production, as before", () => {
		expect(fromEnv({ JWT_ISSUER: ISSUER, NODE_ENV: "production" }).allowHttp).toBe(false);
		expect(() => fromEnv({ JWT_ISSUER: "http://auth.example.com/", NODE_ENV: "production" })).toThrow(/^JWT_ISSUER: "http:\/\/auth\.example\.com\/" is not https.*JWT_ALLOW_HTTP=true/);
	});
});
