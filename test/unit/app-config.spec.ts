import { ConfigError } from "../../lib/auth/policy/config";
import { parseAppConfig } from "../../services/app-config";

function appFailure(env: Record<string, string>): ConfigError {
	try {
		parseAppConfig(env);
	} catch (err) {
		if (err instanceof ConfigError) return err;
		throw err;
	}
	throw new Error("expected a ConfigError");
}

describe("the example app's configuration", () => {
	it("uses the development issuer on the gateway's own port when no issuer is set", () => {
		const config = parseAppConfig({ PORT: "4100" });
		expect(config.devIssuerUrl).toBe("http://127.0.0.1:4100/__dev/issuer");
		expect(config.port).toBe(4100);
		expect(config.auth).toMatchObject({ issuer: "http://127.0.0.1:4100/__dev/issuer", publicUrl: "http://localhost:4100" });
	});

	it("starts no development issuer when an issuer is configured, and reads the rest with fromEnv", () => {
		const config = parseAppConfig({ JWT_ISSUER: "https://auth.example.com/", JWT_AUDIENCE: "a,b" });
		expect(config).toMatchObject({ port: 3000, devIssuerUrl: null, auth: { issuer: "https://auth.example.com/", audience: ["a", "b"] } });
	});

	it.each([
		[{ NODE_ENV: "production" }, "JWT_ISSUER", /is required when NODE_ENV=production/],
		[{ JWKS_URI: "https://a.example.com/jwks" }, "JWKS_URI", /only applies with JWT_ISSUER/],
		[{ DEV_ISSUER_URL: "not a url" }, "DEV_ISSUER_URL", /is not an http\(s\) URL/]
	])("stops on %j naming %s", (env, variable, message) => {
		const error = appFailure(env);
		expect(error.variable).toBe(variable);
		expect(error.detail).toMatch(message);
	});
});
