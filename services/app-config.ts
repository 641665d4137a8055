/**
 * The example app's configuration: its port, the development issuer when no issuer is set
 * (never with NODE_ENV=production), and the `jwtAuth` options of everything else the
 * environment says (`fromEnv`, the package's own reader).
 */
import { ConfigError, fromEnv, orExit, parsePort, type Env, type JwtAuthOptions } from "moleculer-jwks-auth";

export interface AppConfig {
	readonly port: number;
	/** Set when no issuer is configured: the embedded development issuer's URL. */
	readonly devIssuerUrl: string | null;
	readonly auth: JwtAuthOptions;
}

const DEV_ISSUER_PATH = "/__dev/issuer";

function blank(value: string | undefined): value is undefined {
	return value === undefined || value.trim() === "";
}

function devIssuerUrl(env: Env, port: number): string {
	if (blank(env.DEV_ISSUER_URL)) return `http://127.0.0.1:${port}${DEV_ISSUER_PATH}`;
	const value = env.DEV_ISSUER_URL.trim();
	try {
		return new URL(value).protocol.startsWith("http") ? value : fail(value);
	} catch {
		return fail(value);
	}
}

function fail(value: string): never {
	throw new ConfigError("DEV_ISSUER_URL", `"${value}" is not an http(s) URL; unset it to use the gateway's own port`);
}

export function parseAppConfig(env: Env): AppConfig {
	const port = parsePort(env);
	if (!blank(env.JWT_ISSUER) || !blank(env.JWT_ISSUERS_FILE)) return { port, devIssuerUrl: null, auth: fromEnv(env) };
	if (env.NODE_ENV === "production") {
		throw new ConfigError("JWT_ISSUER", "is required when NODE_ENV=production; set it to your issuer's URL (the development issuer never runs in production)");
	}
	if (!blank(env.JWKS_URI)) throw new ConfigError("JWKS_URI", "only applies with JWT_ISSUER; set JWT_ISSUER too, or unset JWKS_URI");
	const issuer = devIssuerUrl(env, port);
	return { port, devIssuerUrl: issuer, auth: fromEnv({ ...env, JWT_ISSUER: issuer }) };
}

/**
 * This process's configuration (api, protected and dev-issuer each read it when their schema is
 * made). Parsing is deterministic and cheap, so each reads it afresh rather than through a
 * module-level memo; a bad value stops the process at the first.
 */
export function processAppConfig(): AppConfig {
	return orExit(parseAppConfig);
}
