/**
 * `jwtAuth`'s options, documented: the README's options table is generated from this list
 * (scripts/readme-tables.ts), and tests check it against the validator's option names and
 * defaults (test/unit/options.spec.ts).
 */
import { DEFAULTS } from "./config";
import { DEFAULT_REVOCATION_MAX_ENTRIES, DEFAULT_REVOCATION_MAX_LIFETIME } from "../revocation/revocations";

export interface OptionDoc {
	readonly option: string;
	readonly type: string;
	/** As documented; "none" when unset means "off". */
	readonly default: string;
	readonly meaning: string;
}

export const OPTION_DOCS: readonly OptionDoc[] = [
	{ option: "issuer", type: "string", default: "none", meaning: "the trusted issuer's URL; `iss` must equal it exactly. Required unless `issuers` is given" },
	{
		option: "issuers",
		type: "(string \\| IssuerOptions)[]",
		default: "none",
		meaning: "several trusted issuers, each with its own keys, chosen by the token's `iss`; an entry `{ issuer, jwksUri?, audience?, algorithms?, tokenType?, maxTokenAge?, clockTolerance? }` has its own rules, what it leaves out takes the option below"
	},
	{ option: "jwksUri", type: "string", default: "discovered", meaning: "only with `issuer`: `${issuer}/.well-known/openid-configuration` -> `jwks_uri`; on 404, `${issuer}/.well-known/jwks.json`" },
	{ option: "audience", type: "string \\| string[]", default: "none", meaning: "when set, `aud` (string or array) must contain one of them" },
	{ option: "algorithms", type: "JwsAlgorithm[]", default: JSON.stringify(DEFAULTS.JWT_ALGORITHMS.split(",")), meaning: "allow-list of asymmetric algorithms (RS/PS/ES 256/384/512, EdDSA); `none` and HS* are refused" },
	{ option: "clockTolerance", type: "number", default: String(DEFAULTS.JWT_CLOCK_TOLERANCE), meaning: "seconds of leeway for `exp`, `nbf`, `iat` (0 to 3600)" },
	{ option: "maxTokenAge", type: "number", default: "none", meaning: "seconds; when set, `iat` is required and must be younger" },
	{ option: "tokenType", type: "string", default: "none", meaning: "when set (e.g. `at+jwt`), the header `typ` must match it (case-insensitive, `application/` optional)" },
	{ option: "jwks.cacheMaxAge", type: "number", default: String(DEFAULTS.JWKS_CACHE_MAX_AGE), meaning: "ms a fetched key set is fresh (refreshed in the background before that)" },
	{ option: "jwks.cooldown", type: "number", default: String(DEFAULTS.JWKS_COOLDOWN), meaning: "ms: least time between two fetches caused by unknown `kid`s" },
	{ option: "jwks.timeout", type: "number", default: String(DEFAULTS.JWKS_TIMEOUT), meaning: "ms: a key-set fetch (connect to last byte) that takes longer has failed" },
	{ option: "jwks.staleMaxAge", type: "number", default: String(DEFAULTS.JWKS_STALE_MAX_AGE), meaning: "ms: while the issuer is unreachable, keys keep verifying this long after their last good fetch" },
	{ option: "allowHttp", type: "boolean", default: "false", meaning: "`true` lets key URLs off loopback be plain http; otherwise they must be https" },
	{ option: "verifyThreads", type: "number", default: "cores - 1", meaning: "worker threads that check signatures (at least 1); `0` uses node:crypto's thread pool" },
	{ option: "rolesClaim", type: "string", default: DEFAULTS.JWT_ROLES_CLAIM, meaning: "the claim `auth: { roles }` reads; a dotted path such as `realm_access.roles`" },
	{ option: "publicUrl", type: "string", default: "none", meaning: "the gateway's public URL; when set, 401 challenges name `<publicUrl>/.well-known/oauth-protected-resource` (serve it with `resourceMetadataRoute(options)`)" },
	{ option: "revocation.redisUrl", type: "string", default: "none", meaning: "`redis://` or `rediss://`: `revoke` entries are kept in Redis too (install `ioredis`)" },
	{ option: "revocation.maxEntries", type: "number", default: String(DEFAULT_REVOCATION_MAX_ENTRIES), meaning: "revocation entries a gateway holds" },
	{ option: "revocation.maxLifetime", type: "number", default: String(DEFAULT_REVOCATION_MAX_LIFETIME), meaning: "seconds: the longest lifetime of a token (how long a revocation without `exp` is kept at most)" },
	{ option: "propagateToken", type: "boolean", default: "false", meaning: "pass the bearer token on with each call (`ctx.meta.authToken`) for services with `zeroTrust(options)`" },
	{ option: "mapUser", type: "(claims) => unknown", default: "none", meaning: "what lands in `ctx.meta.user` (default: the verified claims); requirements are checked on the claims" },
	{ option: "serviceUnavailable", type: "boolean", default: "true", meaning: "an aliased action no node serves is 503 `SERVICE_UNAVAILABLE` with `data.action`" },
	{ option: "screenRequestIds", type: "boolean", default: "true", meaning: "a client's `X-Request-ID` / `X-Correlation-ID` is kept only when 1-64 characters of `A-Z a-z 0-9 . _ : -`" }
];
