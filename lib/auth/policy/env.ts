/**
 * Environment -> `jwtAuth` options: `fromEnv()` reads the variables documented in
 * variables.ts and stops at the first bad one with one ConfigError naming the variable and the
 * fix, so a process can stop with one clear line. No issuer is an error here too: only the
 * example app starts a development issuer (services/app-config.ts).
 */
import { firstInsecureUrl } from "../keys/url-policy";
import { parseRevocationConfig } from "../revocation/revocation-config";
import { defaultThreadCount } from "../signatures/signature-threads";
import { parseClaimPath } from "./claim-path";
import { algorithmList, ConfigError, DEFAULTS, httpUrl, normaliseType, publicUrl, RANGES, type AuthConfig, type Env, type WholeNumberRange } from "./config";
import { issuersFromFile } from "./issuers-file";
import { OptionsError, resolveOptions, type IssuerOptions, type JwtAuthOptions } from "./options";
import { variableOf } from "./variables";

function blank(value: string | undefined): value is undefined {
	return value === undefined || value.trim() === "";
}

function list(value: string): string[] {
	return value
		.split(",")
		.map(item => item.trim())
		.filter(item => item !== "");
}

function integer(env: Env, name: string, fallback: number, range: WholeNumberRange): number {
	const raw = env[name];
	if (blank(raw)) return fallback;
	const text = raw.trim();
	if (!/^\d+$/.test(text) || Number(text) < range.min || Number(text) > range.max) {
		throw new ConfigError(name, `"${text}" is not a whole number from ${range.min} to ${range.max}; unset it to use the default ${fallback}`);
	}
	return Number(text);
}

function optionalInteger(env: Env, name: string, range: WholeNumberRange): number | undefined {
	return blank(env[name]) ? undefined : integer(env, name, 0, range);
}

function flag(env: Env, name: string): boolean {
	const raw = env[name];
	if (blank(raw)) return false;
	const text = raw.trim().toLowerCase();
	if (text !== "true" && text !== "false") throw new ConfigError(name, `"${text}" is not true or false; unset it to use the default false`);
	return text === "true";
}

export function parsePort(env: Env): number {
	return integer(env, "PORT", DEFAULTS.PORT, RANGES.port);
}

/** METRICS_PORT, for the app's broker options (metrics are the broker's, not the verifier's). */
export function parseMetricsPort(env: Env): number {
	return integer(env, "METRICS_PORT", DEFAULTS.METRICS_PORT, RANGES.port);
}

/** JWT_ISSUER (one or a list, with JWKS_URI for one) or JWT_ISSUERS_FILE, as the issuer options. */
function issuerOptions(env: Env): Pick<JwtAuthOptions, "issuer" | "issuers" | "jwksUri"> {
	const file = blank(env.JWT_ISSUERS_FILE) ? null : env.JWT_ISSUERS_FILE.trim();
	if (file !== null && !blank(env.JWT_ISSUER)) throw new ConfigError("JWT_ISSUERS_FILE", `${file}: JWT_ISSUER is set too; list every issuer in the file and unset JWT_ISSUER`);
	if (file !== null && !blank(env.JWKS_URI)) throw new ConfigError("JWKS_URI", "does not apply with JWT_ISSUERS_FILE; give each issuer its jwksUri in the file");
	if (file !== null) return { issuers: issuersFromFile(file) };
	if (blank(env.JWT_ISSUER)) throw new ConfigError("JWT_ISSUER", "is required; set it to your issuer's URL (or JWT_ISSUERS_FILE for several issuers with their own rules)");
	const names = list(env.JWT_ISSUER).map(issuer => httpUrl("JWT_ISSUER", issuer));
	if (names.length === 0) throw new ConfigError("JWT_ISSUER", "names no issuer; set it to your issuer's URL");
	if (new Set(names).size !== names.length) throw new ConfigError("JWT_ISSUER", "lists an issuer twice; list each once");
	const jwksUri = blank(env.JWKS_URI) ? undefined : httpUrl("JWKS_URI", env.JWKS_URI.trim());
	if (jwksUri !== undefined && names.length > 1) {
		throw new ConfigError("JWKS_URI", "can only be set with a single JWT_ISSUER; with several issuers each key set is discovered");
	}
	if (names.length > 1) return { issuers: names };
	return { issuer: names[0] as string, ...(jwksUri === undefined ? {} : { jwksUri }) };
}

/** With NODE_ENV=production key URLs must be https off loopback, unless JWT_ALLOW_HTTP=true. */
function checkHttps(env: Env, issuers: Pick<JwtAuthOptions, "issuer" | "issuers" | "jwksUri">): void {
	const fromFile = !blank(env.JWT_ISSUERS_FILE);
	const [issuerVariable, jwksVariable] = fromFile ? ["JWT_ISSUERS_FILE", "JWT_ISSUERS_FILE"] : ["JWT_ISSUER", "JWKS_URI"];
	const entries: IssuerOptions[] = issuers.issuer !== undefined ? [{ issuer: issuers.issuer, jwksUri: issuers.jwksUri }] : (issuers.issuers ?? []).map(entry => (typeof entry === "string" ? { issuer: entry } : entry));
	const insecure = firstInsecureUrl(entries.flatMap(({ issuer, jwksUri }) => [[issuerVariable, issuer], [jwksVariable, jwksUri ?? null]] as const));
	if (insecure !== null) throw new ConfigError(insecure.name, `${insecure.problem}; use https, or set JWT_ALLOW_HTTP=true on a network you trust`);
}

/** The `jwtAuth` options this environment sets; throws a ConfigError naming the first bad variable. */
export function fromEnv(env: Env = process.env): JwtAuthOptions {
	const port = parsePort(env);
	const issuers = issuerOptions(env);
	const audience = blank(env.JWT_AUDIENCE) ? undefined : list(env.JWT_AUDIENCE);
	if (audience !== undefined && audience.length === 0) throw new ConfigError("JWT_AUDIENCE", "names no audience; unset it or list one");
	const jwks = {
		cacheMaxAge: integer(env, "JWKS_CACHE_MAX_AGE", DEFAULTS.JWKS_CACHE_MAX_AGE, RANGES.cacheMaxAge),
		cooldown: integer(env, "JWKS_COOLDOWN", DEFAULTS.JWKS_COOLDOWN, RANGES.cooldown),
		timeout: integer(env, "JWKS_TIMEOUT", DEFAULTS.JWKS_TIMEOUT, RANGES.timeout),
		staleMaxAge: integer(env, "JWKS_STALE_MAX_AGE", DEFAULTS.JWKS_STALE_MAX_AGE, RANGES.staleMaxAge)
	};
	if (jwks.staleMaxAge < jwks.cacheMaxAge) {
		throw new ConfigError("JWKS_STALE_MAX_AGE", `(${jwks.staleMaxAge} ms) is shorter than JWKS_CACHE_MAX_AGE (${jwks.cacheMaxAge} ms); make it at least as long`);
	}
	const algorithms = algorithmList("JWT_ALGORITHMS", list(blank(env.JWT_ALGORITHMS) ? DEFAULTS.JWT_ALGORITHMS : env.JWT_ALGORITHMS));
	const clockTolerance = integer(env, "JWT_CLOCK_TOLERANCE", DEFAULTS.JWT_CLOCK_TOLERANCE, RANGES.clockTolerance);
	const maxTokenAge = optionalInteger(env, "JWT_MAX_TOKEN_AGE", RANGES.maxTokenAge);
	const tokenType = blank(env.JWT_TYPE) ? undefined : normaliseType(env.JWT_TYPE);
	const rolesClaim = blank(env.JWT_ROLES_CLAIM) ? DEFAULTS.JWT_ROLES_CLAIM : env.JWT_ROLES_CLAIM.trim();
	if (parseClaimPath(rolesClaim) === null) {
		throw new ConfigError("JWT_ROLES_CLAIM", `"${rolesClaim}" is not a claim path; use names joined by dots, such as realm_access.roles (__proto__, constructor and prototype are refused)`);
	}
	const allowHttp = env.NODE_ENV !== "production" || flag(env, "JWT_ALLOW_HTTP");
	if (!allowHttp) checkHttps(env, issuers);
	const revocation = parseRevocationConfig(env);
	const options: JwtAuthOptions = {
		...issuers,
		...(audience === undefined ? {} : { audience }),
		algorithms,
		clockTolerance,
		...(maxTokenAge === undefined ? {} : { maxTokenAge }),
		...(tokenType === undefined || tokenType === "" ? {} : { tokenType }),
		jwks,
		allowHttp,
		verifyThreads: integer(env, "JWT_VERIFY_THREADS", defaultThreadCount(), RANGES.verifyThreads),
		rolesClaim,
		publicUrl: blank(env.PUBLIC_URL) ? `http://localhost:${port}` : publicUrl("PUBLIC_URL", env.PUBLIC_URL.trim()),
		revocation: { ...(revocation.redisUrl === null ? {} : { redisUrl: revocation.redisUrl }), maxEntries: revocation.maxEntries, maxLifetime: revocation.maxLifetime },
		propagateToken: flag(env, "JWT_PROPAGATE_TOKEN")
	};
	// Every value passed its variable's check above; what the options' own check still finds is named by its variable too.
	try {
		resolveOptions(options);
	} catch (err) {
		if (!(err instanceof OptionsError)) throw err;
		const variable = err.option.startsWith("issuers") && blank(env.JWT_ISSUERS_FILE) ? "JWT_ISSUER" : (variableOf(err.option) ?? err.variable);
		throw new ConfigError(variable, err.detail);
	}
	return options;
}

/** The verifier's configuration from this environment (fromEnv, then the options' check). */
export function parseAuthConfig(env: Env): AuthConfig {
	return resolveOptions(fromEnv(env));
}
