/**
 * The verifier's internal configuration and the checks both of its sources share: the typed
 * options of `jwtAuth(options)` (options.ts) and the environment (env.ts). Each source names
 * its own setting in an error (an option path or a variable), so every check here takes the
 * name to put in the one line a bad value becomes.
 */
import { isSupportedAlgorithm, SUPPORTED_ALGORITHMS, type JwsAlgorithm } from "../jws/algorithms";
import type { RevocationConfig } from "../revocation/revocation-config";

export interface IssuerConfig {
	/** Exact value the token's `iss` must equal. */
	readonly issuer: string;
	/** Key set URL from configuration; when null it is discovered. */
	readonly jwksUri: string | null;
}

/** The rules a token of one issuer is checked with (its own, else the configuration's). */
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
	/** Key-set URLs (configured or discovered) must be https off loopback. */
	readonly requireHttps?: boolean;
}

/** What lands in ctx.meta.user for a verified token (default: its claims). */
export type MapUser = (claims: Readonly<Record<string, unknown>>) => unknown;

export interface AuthConfig {
	readonly issuers: readonly TrustedIssuer[];
	/** The configuration's rules (each issuer's own are in `issuers[].rules`). */
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
	/** The gateway's public origin: RFC 9728 `resource`, no trailing slash; null: 401 challenges name no metadata. */
	readonly publicUrl: string | null;
	readonly revocation: RevocationConfig;
	/** The gateway passes the bearer token on with each call (zero-trust.mixin.ts). */
	readonly propagateToken: boolean;
	/** Null: ctx.meta.user is the verified claims. */
	readonly mapUser: MapUser | null;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A setting that cannot be used: `variable` names it (an environment variable, or a file and field). */
export class ConfigError extends Error {
	constructor(
		readonly variable: string,
		readonly detail: string
	) {
		super(`${variable}: ${detail}`);
		this.name = "ConfigError";
	}
}

/** The one place defaults are written down (the README's tables are checked against them). */
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

export const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = ["RS256", "EdDSA"];

export interface WholeNumberRange {
	readonly min: number;
	readonly max: number;
}

/** The ranges of every numeric setting, whichever source sets it. */
export const RANGES = {
	clockTolerance: { min: 0, max: 3600 },
	maxTokenAge: { min: 1, max: Number.MAX_SAFE_INTEGER },
	cacheMaxAge: { min: 1000, max: Number.MAX_SAFE_INTEGER },
	cooldown: { min: 0, max: Number.MAX_SAFE_INTEGER },
	timeout: { min: 1, max: 300_000 },
	staleMaxAge: { min: 0, max: Number.MAX_SAFE_INTEGER },
	verifyThreads: { min: 0, max: 64 },
	port: { min: 0, max: 65535 }
} as const satisfies Record<string, WholeNumberRange>;

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

/** `variable` names where the list came from (JWT_ALGORITHMS, an option, or a field of JWT_ISSUERS_FILE). */
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

/** It is quoted in WWW-Authenticate, so it must be a plain origin (and path) with nothing to escape. */
export function publicUrl(name: string, value: string): string {
	const url = new URL(httpUrl(name, value));
	if (url.search !== "" || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(value)) {
		throw new ConfigError(name, `"${value}" must be a plain URL without query, quotes, backslashes or spaces, such as https://api.example.com`);
	}
	return value.replace(/\/+$/, "");
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
