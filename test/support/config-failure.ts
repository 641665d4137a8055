/** The ConfigError a configuration stops with; anything else (or no error) fails the test. */
import { ConfigError, type Env } from "../../lib/auth/policy/config";
import { parseAuthConfig } from "../../lib/auth/policy/env";

export function configFailure(env: Env): ConfigError {
	try {
		parseAuthConfig(env);
	} catch (err) {
		if (err instanceof ConfigError) return err;
		throw err;
	}
	throw new Error("expected a ConfigError");
}
