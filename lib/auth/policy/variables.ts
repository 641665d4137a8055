/**
 * The example app's environment, documented: every variable, its default, its meaning and the
 * `jwtAuth` option it sets (env.ts reads them). The README's configuration table is generated
 * from this list and a test fails when they drift.
 */
import { SUPPORTED_ALGORITHMS } from "../jws/algorithms";
import { DEFAULTS } from "./config";

export interface ConfigVariable {
	readonly name: string;
	/** The jwtAuth option it sets; absent for the app's own variables. */
	readonly option?: string;
	/** As documented; "none" when unset means "off". */
	readonly default: string;
	readonly meaning: string;
}

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
	{ name: "PORT", default: String(DEFAULTS.PORT), meaning: "HTTP port of the gateway" },
	{
		name: "JWT_ISSUER",
		option: "issuer",
		default: "none",
		meaning:
			"trusted issuer URL; `iss` must equal it exactly. A comma-separated list trusts several issuers, each with its own keys. Unset: the embedded development issuer (refused when `NODE_ENV=production`)."
	},
	{
		name: "JWT_ISSUERS_FILE",
		option: "issuers",
		default: "none",
		meaning:
			"instead of JWT_ISSUER: a JSON file `{ \"issuers\": [ { \"issuer\", \"jwksUri\"?, \"audience\"?, \"algorithms\"?, \"type\"?, \"maxTokenAge\"?, \"clockTolerance\"? } ] }`; each issuer's tokens are checked with its own rules, a field it omits takes the variable's value (JWT_AUDIENCE, JWT_ALGORITHMS, JWT_TYPE, JWT_MAX_TOKEN_AGE, JWT_CLOCK_TOLERANCE)"
	},
	{
		name: "JWKS_URI",
		option: "jwksUri",
		default: "discovered",
		meaning:
			"only with a single issuer. Default: `${issuer}/.well-known/openid-configuration` -> `jwks_uri`; on 404, `${issuer}/.well-known/jwks.json`"
	},
	{
		name: "JWT_AUDIENCE",
		option: "audience",
		default: "none",
		meaning: "comma-separated; when set, `aud` (string or array) must contain one of them"
	},
	{
		name: "JWT_ALGORITHMS",
		option: "algorithms",
		default: DEFAULTS.JWT_ALGORITHMS,
		meaning: `comma-separated allow-list of ${SUPPORTED_ALGORITHMS.join(", ")}; \`none\` and HS* stop the process`
	},
	{
		name: "JWT_CLOCK_TOLERANCE",
		option: "clockTolerance",
		default: String(DEFAULTS.JWT_CLOCK_TOLERANCE),
		meaning: "seconds of leeway for `exp`, `nbf`, `iat`"
	},
	{
		name: "JWT_MAX_TOKEN_AGE",
		option: "maxTokenAge",
		default: "none",
		meaning: "seconds; when set, `iat` is required and must be younger"
	},
	{
		name: "JWT_TYPE",
		option: "tokenType",
		default: "none",
		meaning: "when set (e.g. `at+jwt`), the header `typ` must match it (case-insensitive, `application/` optional)"
	},
	{
		name: "JWT_ROLES_CLAIM",
		option: "rolesClaim",
		default: "roles",
		meaning: "the claim `auth: { roles }` reads; a dotted path such as `realm_access.roles` (Keycloak)"
	},
	{
		name: "PUBLIC_URL",
		option: "publicUrl",
		default: "http://localhost:$PORT",
		meaning: "the gateway's public URL: `resource` of `/.well-known/oauth-protected-resource` (RFC 9728), named in every 401 challenge"
	},
	{
		name: "JWKS_CACHE_MAX_AGE",
		option: "jwks.cacheMaxAge",
		default: String(DEFAULTS.JWKS_CACHE_MAX_AGE),
		meaning: "ms a fetched key set is fresh (refreshed in the background before that)"
	},
	{
		name: "JWKS_COOLDOWN",
		option: "jwks.cooldown",
		default: String(DEFAULTS.JWKS_COOLDOWN),
		meaning: "ms: least time between two fetches caused by unknown `kid`s"
	},
	{
		name: "JWKS_TIMEOUT",
		option: "jwks.timeout",
		default: String(DEFAULTS.JWKS_TIMEOUT),
		meaning: "ms: a key-set fetch (connect to last byte) that takes longer has failed"
	},
	{
		name: "JWKS_STALE_MAX_AGE",
		option: "jwks.staleMaxAge",
		default: String(DEFAULTS.JWKS_STALE_MAX_AGE),
		meaning: "ms: while the issuer is unreachable, keys keep verifying this long after their last good fetch"
	},
	{
		name: "JWT_ALLOW_HTTP",
		option: "allowHttp",
		default: "false",
		meaning:
			"`true` lets `NODE_ENV=production` fetch keys over plain http (issuer, `JWKS_URI`, discovered `jwks_uri`) from hosts other than loopback; otherwise such a URL stops the process at start (a discovered one fails that discovery)"
	},
	{
		name: "JWT_VERIFY_THREADS",
		option: "verifyThreads",
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
		option: "propagateToken",
		default: "false",
		meaning: "`true` on every node: the gateway passes the bearer token along with each call (`ctx.meta.authToken`), and services with `zeroTrustMixin` verify it themselves"
	},
	{
		name: "REVOCATION_REDIS_URL",
		option: "revocation.redisUrl",
		default: "none",
		meaning: "`redis://` or `rediss://` URL: `api.revoke` entries are also kept in Redis, so a gateway that starts later honours them; otherwise they live in the running nodes only"
	},
	{
		name: "REVOCATION_MAX_ENTRIES",
		option: "revocation.maxEntries",
		default: "100000",
		meaning: "revocation entries a gateway holds (about 0.4 KiB each at most); a full list refuses new ones with `REVOCATION_LIST_FULL`"
	},
	{
		name: "REVOCATION_MAX_LIFETIME",
		option: "revocation.maxLifetime",
		default: "86400",
		meaning: "seconds: the longest lifetime of a token; a revocation without `exp` is kept at most this long (less once the tokens seen are shorter)"
	}
];

/** The variable that sets `option` (a path such as `jwks.timeout`), for errors found after reading. */
export function variableOf(option: string): string | undefined {
	const top = option.replace(/\[\d+\].*$/, "");
	return CONFIG_VARIABLES.find(variable => variable.option === option || variable.option === top)?.name;
}
