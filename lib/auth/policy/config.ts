/**
 * Environment -> validated, typed configuration of the verifier.
 *
 * Every variable, its default and its meaning live in CONFIG_VARIABLES (the README's
 * configuration table is checked against it), and every bad value becomes one ConfigError
 * naming the variable and the fix, so the process can stop with one clear line.
 */
import { isSupportedAlgorithm, SUPPORTED_ALGORITHMS, type JwsAlgorithm } from "../jws/algorithms";
import { parseClaimPath } from "./claim-path";
import { issuersFromFile } from "./issuers-file";
import { parseRevocationConfig, type RevocationConfig } from "../revocation/revocation-config";
import { defaultThreadCount } from "../signatures/signature-threads";
import { firstInsecureUrl } from "../keys/url-policy";

export interface IssuerConfig {
	/** Exact value the token's `iss` must equal. */
	readonly issuer: string;
	/** Key set URL from configuration; when null it is discovered. */
	readonly jwksUri: string | null;
}

/** The rules a token of one issuer is checked with (JWT_ISSUERS_FILE, else the environment's). */
export interface IssuerRules {
	readonly audience: readonly string[] | null;
	readonly algorithms: readonly JwsAlgorithm[];
	/** Seconds. */
	readonly clockTolerance: number;
	/** Seconds, or null when token age is not limited. */
	readonly maxTokenAge: number | null;
	/** Normalised expected `typ`, or null. */
	readonly type: string | null;
}

export interface TrustedIssuer extends IssuerConfig {
	readonly rules: IssuerRules;
}

export interface JwksOptions {
	readonly cacheMaxAge: number;
	readonly cooldown: number;
	readonly timeout: number;
	readonly staleMaxAge: number;
	/** Key-set URLs (configured or discovered) must be https off loopback: NODE_ENV=production without JWT_ALLOW_HTTP=true. */
	readonly requireHttps?: boolean;
}

export interface AuthConfig {
	readonly port: number;
	readonly issuers: readonly TrustedIssuer[];
	/** Set when no JWT_ISSUER is configured: the embedded development issuer's URL. */
	readonly devIssuerUrl: string | null;
	/** The environment's rules (each issuer's own are in `issuers[].rules`). */
	readonly audience: readonly string[] | null;
	readonly algorithms: readonly JwsAlgorithm[];
	/** Seconds. */
	readonly clockTolerance: number;
	/** Seconds, or null when token age is not limited. */
	readonly maxTokenAge: number | null;
	/** Normalised expected `typ` (lower case, no `application/`), or null. */
	readonly type: string | null;
	readonly jwks: JwksOptions;
	/** Worker threads for signature checks; 0: node:crypto's thread pool. */
	readonly verifyThreads: number;
	/** Dotted path of the claim that `auth: { roles }` reads. */
	readonly rolesClaim: string;
	/** The gateway's public origin: RFC 9728 `resource`, no trailing slash. */
	readonly publicUrl: string;
	readonly revocation: RevocationConfig;
	/** JWT_PROPAGATE_TOKEN: the gateway passes the bearer token on with each call (zero-trust.mixin.ts). */
	readonly propagateToken: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
	constructor(
		readonly variable: string,
		readonly detail: string
	) {
		super(`${variable}: ${detail}`);
		this.name = "ConfigError";
	}
}

export interface ConfigVariable {
	readonly name: string;
	/** As documented; "none" when unset means "off". */
	readonly default: string;
	readonly meaning: string;
}

/** The one place defaults are written down. */
export const DEFAULTS = {
	PORT: 3000,
	JWT_ALGORITHMS: "RS256,EdDSA",
	JWT_CLOCK_TOLERANCE: 5,
	JWT_ROLES_CLAIM: "roles",
	JWKS_CACHE_MAX_AGE: 600_000,
	JWKS_COOLDOWN: 30_000,
	JWKS_TIMEOUT: 5_000,
	JWKS_STALE_MAX_AGE: 86_400_000,
	METRICS_PORT: 3030,
	METRICS_HOST: "0.0.0.0",
	WEB_CONCURRENCY: 1,
	DEV_ISSUER_PATH: "/__dev/issuer"
} as const;

const MAX_VERIFY_THREADS = 64;

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
	{ name: "PORT", default: String(DEFAULTS.PORT), meaning: "HTTP port of the gateway" },
	{
		name: "JWT_ISSUER",
		default: "none",
		meaning:
			"trusted issuer URL; `iss` must equal it exactly. A comma-separated list trusts several issuers, each with its own keys. Unset: the embedded development issuer (refused when `NODE_ENV=production`)."
	},
	{
		name: "JWT_ISSUERS_FILE",
		default: "none",
		meaning:
			"instead of JWT_ISSUER: a JSON file `{ \"issuers\": [ { \"issuer\", \"jwksUri\"?, \"audience\"?, \"algorithms\"?, \"type\"?, \"maxTokenAge\"?, \"clockTolerance\"? } ] }`; each issuer's tokens are checked with its own rules, a field it omits takes the variable's value (JWT_AUDIENCE, JWT_ALGORITHMS, JWT_TYPE, JWT_MAX_TOKEN_AGE, JWT_CLOCK_TOLERANCE)"
	},
	{
		name: "JWKS_URI",
		default: "discovered",
		meaning:
			"only with a single issuer. Default: `${issuer}/.well-known/openid-configuration` -> `jwks_uri`; on 404, `${issuer}/.well-known/jwks.json`"
	},
	{
		name: "JWT_AUDIENCE",
		default: "none",
		meaning: "comma-separated; when set, `aud` (string or array) must contain one of them"
	},
	{
		name: "JWT_ALGORITHMS",
		default: DEFAULTS.JWT_ALGORITHMS,
		meaning: `comma-separated allow-list of ${SUPPORTED_ALGORITHMS.join(", ")}; \`none\` and HS* stop the process`
	},
	{
		name: "JWT_CLOCK_TOLERANCE",
		default: String(DEFAULTS.JWT_CLOCK_TOLERANCE),
		meaning: "seconds of leeway for `exp`, `nbf`, `iat`"
	},
	{
		name: "JWT_MAX_TOKEN_AGE",
		default: "none",
		meaning: "seconds; when set, `iat` is required and must be younger"
	},
	{
		name: "JWT_TYPE",
		default: "none",
		meaning: "when set (e.g. `at+jwt`), the header `typ` must match it (case-insensitive, `application/` optional)"
	},
	{
		name: "JWT_ROLES_CLAIM",
		default: "roles",
		meaning: "the claim `auth: { roles }` reads; a dotted path such as `realm_access.roles` (Keycloak)"
	},
	{
		name: "PUBLIC_URL",
		default: "http://localhost:$PORT",
		meaning: "the gateway's public URL: `resource` of `/.well-known/oauth-protected-resource` (RFC 9728), named in every 401 challenge"
	},
	{
		name: "JWKS_CACHE_MAX_AGE",
		default: String(DEFAULTS.JWKS_CACHE_MAX_AGE),
		meaning: "ms a fetched key set is fresh (refreshed in the background before that)"
	},
	{
		name: "JWKS_COOLDOWN",
		default: String(DEFAULTS.JWKS_COOLDOWN),
		meaning: "ms: least time between two fetches caused by unknown `kid`s"
	},
	{
		name: "JWKS_TIMEOUT",
		default: String(DEFAULTS.JWKS_TIMEOUT),
		meaning: "ms: a key-set fetch (connect to last byte) that takes longer has failed"
	},
	{
		name: "JWKS_STALE_MAX_AGE",
		default: String(DEFAULTS.JWKS_STALE_MAX_AGE),
		meaning: "ms: while the issuer is unreachable, keys keep verifying this long after their last good fetch"
	},
	{
		name: "JWT_ALLOW_HTTP",
		default: "false",
		meaning:
			"`true` lets `NODE_ENV=production` fetch keys over plain http (issuer, `JWKS_URI`, discovered `jwks_uri`) from hosts other than loopback; otherwise such a URL stops the process at start (a discovered one fails that discovery)"
	},
	{
		name: "JWT_VERIFY_THREADS",
		default: "cores - 1",
		meaning:
			"worker threads that check signatures (at least 1); `0` checks them on node:crypto's thread pool instead (`UV_THREADPOOL_SIZE`)"
	},
	{
		name: "METRICS_PORT",
		default: String(DEFAULTS.METRICS_PORT),
		meaning: "Prometheus `/metrics` port; `METRICS=false` turns metrics off. With `WEB_CONCURRENCY`=N, worker i serves its own on `METRICS_PORT`+i"
	},
	{
		name: "METRICS_HOST",
		default: DEFAULTS.METRICS_HOST,
		meaning: "interface the metrics endpoint listens on (`127.0.0.1` keeps it on the host)"
	},
	{
		name: "METRICS_ACTIONS",
		default: "false",
		meaning: "`true` adds Moleculer's own per-action series (`moleculer_request_*`, `moleculer_event_*`), at a CPU cost per call"
	},
	{
		name: "WEB_CONCURRENCY",
		default: String(DEFAULTS.WEB_CONCURRENCY),
		meaning: "gateway processes sharing `PORT` (`bin/serve.js`, Node's cluster); each has its own key store, token cache and signature threads"
	},
	{
		name: "DEV_ISSUER_URL",
		default: `http://127.0.0.1:$PORT${DEFAULTS.DEV_ISSUER_PATH}`,
		meaning: "development issuer only: the issuer URL its tokens carry and the gateway fetches keys from"
	},
	{
		name: "JWT_PROPAGATE_TOKEN",
		default: "false",
		meaning: "`true` on every node: the gateway passes the bearer token along with each call (`ctx.meta.authToken`), and services with `zeroTrustMixin` verify it themselves"
	},
	{
		name: "REVOCATION_REDIS_URL",
		default: "none",
		meaning: "`redis://` or `rediss://` URL: `api.revoke` entries are also kept in Redis, so a gateway that starts later honours them; otherwise they live in the running nodes only"
	},
	{
		name: "REVOCATION_MAX_ENTRIES",
		default: "100000",
		meaning: "revocation entries a gateway holds (about 0.4 KiB each at most); a full list refuses new ones with `REVOCATION_LIST_FULL`"
	},
	{
		name: "REVOCATION_MAX_LIFETIME",
		default: "86400",
		meaning: "seconds: the longest lifetime of a token; a revocation without `exp` is kept at most this long (less once the tokens seen are shorter)"
	}
];

function blank(value: string | undefined): boolean {
	return value === undefined || value.trim() === "";
}

function list(value: string): string[] {
	return value
		.split(",")
		.map(item => item.trim())
		.filter(item => item !== "");
}

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
	const raw = env[name];
	if (blank(raw)) return fallback;
	const text = (raw as string).trim();
	if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
		throw new ConfigError(name, `"${text}" is not a whole number from ${min} to ${max}; unset it to use the default ${fallback}`);
	}
	return Number(text);
}

function optionalInteger(env: Env, name: string, min: number): number | null {
	return blank(env[name]) ? null : integer(env, name, 0, min);
}

export function httpUrl(name: string, value: string): string {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new ConfigError(name, `"${value}" is not a URL; use an absolute http(s) URL such as https://auth.example.com/`);
	}
	if (url.protocol !== "https:" && url.protocol !== "http:") {
		throw new ConfigError(name, `"${value}" must use http or https`);
	}
	if (url.username || url.password || url.hash) {
		throw new ConfigError(name, `"${value}" must not contain credentials or a fragment`);
	}
	return value;
}

function algorithms(env: Env): JwsAlgorithm[] {
	const raw = blank(env.JWT_ALGORITHMS) ? DEFAULTS.JWT_ALGORITHMS : (env.JWT_ALGORITHMS as string);
	return algorithmList("JWT_ALGORITHMS", list(raw));
}

/** `variable` names where the list came from (JWT_ALGORITHMS, or a field of JWT_ISSUERS_FILE). */
export function algorithmList(variable: string, names: readonly string[]): JwsAlgorithm[] {
	if (names.length === 0) throw new ConfigError(variable, `is empty; list asymmetric algorithms such as ${DEFAULTS.JWT_ALGORITHMS}`);
	return names.map(name => {
		if (/^none$/i.test(name)) throw new ConfigError(variable, `"${name}" would accept unsigned tokens; remove it`);
		if (/^HS/i.test(name)) {
			throw new ConfigError(variable, `"${name}" is symmetric (a shared secret); only ${SUPPORTED_ALGORITHMS.join(", ")} are allowed`);
		}
		if (!isSupportedAlgorithm(name)) {
			throw new ConfigError(variable, `"${name}" is not supported; choose from ${SUPPORTED_ALGORITHMS.join(", ")}`);
		}
		return name;
	});
}

/** `at+jwt`, `AT+JWT` and `application/at+jwt` are the same type (RFC 9068 §4, RFC 7515 §4.1.9). */
export function normaliseType(value: string): string {
	return value.trim().toLowerCase().replace(/^application\//, "");
}

function issuers(env: Env, devIssuerUrl: string | null, rules: IssuerRules): TrustedIssuer[] {
	if (devIssuerUrl !== null) return [{ issuer: devIssuerUrl, jwksUri: null, rules }];
	const names = list(env.JWT_ISSUER as string).map(issuer => httpUrl("JWT_ISSUER", issuer));
	if (new Set(names).size !== names.length) throw new ConfigError("JWT_ISSUER", "lists an issuer twice; list each once");
	const jwksUri = blank(env.JWKS_URI) ? null : httpUrl("JWKS_URI", (env.JWKS_URI as string).trim());
	if (jwksUri !== null && names.length > 1) {
		throw new ConfigError("JWKS_URI", "can only be set with a single JWT_ISSUER; with several issuers each key set is discovered");
	}
	return names.map(issuer => ({ issuer, jwksUri, rules }));
}

function flag(env: Env, name: string): boolean {
	const raw = env[name];
	if (blank(raw)) return false;
	const text = (raw as string).trim().toLowerCase();
	if (text !== "true" && text !== "false") throw new ConfigError(name, `"${text}" is not true or false; unset it to use the default false`);
	return text === "true";
}

export function parseAuthConfig(env: Env): AuthConfig {
	const port = integer(env, "PORT", DEFAULTS.PORT, 0, 65535);
	const production = env.NODE_ENV === "production";
	const issuersFile = blank(env.JWT_ISSUERS_FILE) ? null : (env.JWT_ISSUERS_FILE as string).trim();
	if (issuersFile !== null && !blank(env.JWT_ISSUER)) {
		throw new ConfigError("JWT_ISSUERS_FILE", `${issuersFile}: JWT_ISSUER is set too; list every issuer in the file and unset JWT_ISSUER`);
	}
	if (issuersFile !== null && !blank(env.JWKS_URI)) throw new ConfigError("JWKS_URI", "does not apply with JWT_ISSUERS_FILE; give each issuer its jwksUri in the file");
	if (issuersFile === null && blank(env.JWT_ISSUER) && production) {
		throw new ConfigError("JWT_ISSUER", "is required when NODE_ENV=production; set it to your issuer's URL (the development issuer never runs in production)");
	}
	if (!blank(env.JWT_ISSUER) && list(env.JWT_ISSUER as string).length === 0) {
		throw new ConfigError("JWT_ISSUER", "names no issuer; set it to your issuer's URL");
	}
	const devIssuerUrl = blank(env.JWT_ISSUER) && issuersFile === null
		? blank(env.DEV_ISSUER_URL)
			? `http://127.0.0.1:${port}${DEFAULTS.DEV_ISSUER_PATH}`
			: httpUrl("DEV_ISSUER_URL", (env.DEV_ISSUER_URL as string).trim())
		: null;
	if (devIssuerUrl !== null && !blank(env.JWKS_URI)) {
		throw new ConfigError("JWKS_URI", "only applies with JWT_ISSUER; set JWT_ISSUER too, or unset JWKS_URI");
	}

	const audience = blank(env.JWT_AUDIENCE) ? null : list(env.JWT_AUDIENCE as string);
	if (audience !== null && audience.length === 0) throw new ConfigError("JWT_AUDIENCE", "names no audience; unset it or list one");

	const jwks: JwksOptions = {
		cacheMaxAge: integer(env, "JWKS_CACHE_MAX_AGE", DEFAULTS.JWKS_CACHE_MAX_AGE, 1000),
		cooldown: integer(env, "JWKS_COOLDOWN", DEFAULTS.JWKS_COOLDOWN, 0),
		timeout: integer(env, "JWKS_TIMEOUT", DEFAULTS.JWKS_TIMEOUT, 1, 300_000),
		staleMaxAge: integer(env, "JWKS_STALE_MAX_AGE", DEFAULTS.JWKS_STALE_MAX_AGE, 0),
		requireHttps: production && !flag(env, "JWT_ALLOW_HTTP")
	};
	if (jwks.staleMaxAge < jwks.cacheMaxAge) {
		throw new ConfigError("JWKS_STALE_MAX_AGE", `(${jwks.staleMaxAge} ms) is shorter than JWKS_CACHE_MAX_AGE (${jwks.cacheMaxAge} ms); make it at least as long`);
	}

	const rules: IssuerRules = {
		audience,
		algorithms: algorithms(env),
		clockTolerance: integer(env, "JWT_CLOCK_TOLERANCE", DEFAULTS.JWT_CLOCK_TOLERANCE, 0, 3600),
		maxTokenAge: optionalInteger(env, "JWT_MAX_TOKEN_AGE", 1),
		type: blank(env.JWT_TYPE) ? null : normaliseType(env.JWT_TYPE as string)
	};
	const rolesClaim = blank(env.JWT_ROLES_CLAIM) ? DEFAULTS.JWT_ROLES_CLAIM : (env.JWT_ROLES_CLAIM as string).trim();
	if (parseClaimPath(rolesClaim) === null) {
		throw new ConfigError("JWT_ROLES_CLAIM", `"${rolesClaim}" is not a claim path; use names joined by dots, such as realm_access.roles (__proto__, constructor and prototype are refused)`);
	}

	const issuerList = issuersFile === null ? issuers(env, devIssuerUrl, rules) : issuersFromFile(issuersFile, rules);
	const [issuerVariable, jwksVariable] = issuersFile === null ? ["JWT_ISSUER", "JWKS_URI"] : ["JWT_ISSUERS_FILE", "JWT_ISSUERS_FILE"];
	const insecure = jwks.requireHttps ? firstInsecureUrl(issuerList.flatMap(({ issuer, jwksUri }) => [[issuerVariable, issuer], [jwksVariable, jwksUri]] as const)) : null;
	if (insecure !== null) throw new ConfigError(insecure.name, `${insecure.problem}; use https, or set JWT_ALLOW_HTTP=true on a network you trust`);

	return {
		port,
		issuers: issuerList,
		devIssuerUrl,
		...rules,
		jwks,
		verifyThreads: integer(env, "JWT_VERIFY_THREADS", defaultThreadCount(), 0, MAX_VERIFY_THREADS),
		rolesClaim,
		publicUrl: blank(env.PUBLIC_URL) ? `http://localhost:${port}` : publicUrl((env.PUBLIC_URL as string).trim()),
		revocation: parseRevocationConfig(env),
		propagateToken: flag(env, "JWT_PROPAGATE_TOKEN")
	};
}

/** It is quoted in WWW-Authenticate, so it must be a plain origin (and path) with nothing to escape. */
function publicUrl(value: string): string {
	const url = new URL(httpUrl("PUBLIC_URL", value));
	if (url.search !== "" || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(value)) {
		throw new ConfigError("PUBLIC_URL", `"${value}" must be a plain URL without query, quotes, backslashes or spaces, such as https://api.example.com`);
	}
	return value.replace(/\/+$/, "");
}

/** METRICS_PORT, for moleculer.config.ts (metrics are the broker's, not the verifier's). */
export function parseMetricsPort(env: Env): number {
	return integer(env, "METRICS_PORT", DEFAULTS.METRICS_PORT, 0, 65535);
}

/**
 * Runs a parse of this process's environment; on a bad value prints one line naming the
 * variable and exits non-zero: a gateway with a half-understood security config must not serve.
 */
export function orExit<T>(parse: (env: Env) => T): T {
	try {
		return parse(process.env);
	} catch (err) {
		if (!(err instanceof ConfigError)) throw err;
		process.stderr.write(`Configuration error: ${err.message}\n`);
		process.exit(1);
	}
}

let fromProcess: AuthConfig | undefined;

/** This process's configuration, parsed once (api and dev-issuer both read it). */
export function processAuthConfig(): AuthConfig {
	fromProcess ??= orExit(parseAuthConfig);
	return fromProcess;
}
