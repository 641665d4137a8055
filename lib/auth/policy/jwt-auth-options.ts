/**
 * The options of `jwtAuth(options)` as an integrator writes them; options.ts checks them and
 * option-docs.ts documents them.
 */
import type { JwsAlgorithm } from "../jws/algorithms";
import type { MapUser } from "./config";

/** One trusted issuer with its own rules; what it leaves out takes the top-level option. */
export interface IssuerOptions {
	/** Exact value the token's `iss` must equal. */
	readonly issuer: string;
	/** Default: discovered (`${issuer}/.well-known/openid-configuration`, else `/.well-known/jwks.json`). */
	readonly jwksUri?: string;
	readonly audience?: string | readonly string[];
	readonly algorithms?: readonly JwsAlgorithm[];
	readonly tokenType?: string;
	readonly maxTokenAge?: number;
	readonly clockTolerance?: number;
}

/** Key-set cache settings, in milliseconds. */
export interface JwksCacheOptions {
	readonly cacheMaxAge?: number;
	readonly cooldown?: number;
	readonly timeout?: number;
	readonly staleMaxAge?: number;
}

export interface RevocationOptions {
	/** `redis://` or `rediss://`: entries are kept in Redis too (needs the `ioredis` package). */
	readonly redisUrl?: string;
	readonly maxEntries?: number;
	/** Seconds. */
	readonly maxLifetime?: number;
}

export interface JwtAuthOptions {
	/** The trusted issuer's URL; `iss` must equal it exactly. Or `issuers`. */
	readonly issuer?: string;
	/** Several trusted issuers, each with its own keys (and rules). */
	readonly issuers?: readonly (string | IssuerOptions)[];
	/** Only with `issuer`. Default: discovered. */
	readonly jwksUri?: string;
	/** When set, `aud` must contain one of them. */
	readonly audience?: string | readonly string[];
	/** Default `["RS256", "EdDSA"]`; `none` and HS* are refused. */
	readonly algorithms?: readonly JwsAlgorithm[];
	/** Seconds of leeway for `exp`, `nbf`, `iat` (default 5). */
	readonly clockTolerance?: number;
	/** Seconds; when set, `iat` is required and must be younger. */
	readonly maxTokenAge?: number;
	/** When set (e.g. `at+jwt`), the header `typ` must match it. */
	readonly tokenType?: string;
	readonly jwks?: JwksCacheOptions;
	/** Key URLs off loopback may be plain http (default false: https required). */
	readonly allowHttp?: boolean;
	/** Worker threads that check signatures (default cores - 1, at least 1); 0: node:crypto's thread pool. */
	readonly verifyThreads?: number;
	/** The claim `auth: { roles }` reads, a dotted path (default `roles`). */
	readonly rolesClaim?: string;
	/** The gateway's public URL: when set, 401 challenges name its RFC 9728 metadata. */
	readonly publicUrl?: string;
	readonly revocation?: RevocationOptions;
	/** Pass the bearer token on with each call (`ctx.meta.authToken`) for services that verify it again. */
	readonly propagateToken?: boolean;
	/** What lands in ctx.meta.user (default: the verified claims). */
	readonly mapUser?: MapUser;
	/** An aliased action with no node is 503 `SERVICE_UNAVAILABLE`, not moleculer-web's 404 (default true). */
	readonly serviceUnavailable?: boolean;
	/** A client's X-Request-ID / X-Correlation-ID is kept only when short and safe (default true). */
	readonly screenRequestIds?: boolean;
}
