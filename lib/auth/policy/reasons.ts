/**
 * Every way a request can fail authentication, and what each one becomes: HTTP status, body
 * `type`, RFC 6750 challenge and metric label (the reason itself). Nothing else decides these.
 */
import type { RequirementPart } from "./requirement";

export interface ReasonSpec {
	readonly status: 401 | 403 | 503;
	/** Body `type` (moleculer-web's error shape). */
	readonly type: "NO_TOKEN" | "INVALID_TOKEN" | "INSUFFICIENT_SCOPE" | "ACCESS_DENIED" | "ACTION_MISDECLARED" | "ROUTE_UNPROTECTED" | "JWKS_UNAVAILABLE";
	/** RFC 6750 §3.1 error code; null means a bare challenge (no credentials) or none at all (503). */
	readonly error: "invalid_token" | "insufficient_scope" | null;
	/** Human text for `error_description` and the README; never contains token material. */
	readonly description: string;
	/** What an operator should do about it (README troubleshooting). */
	readonly remedy: string;
}

const invalid = (description: string, remedy: string): ReasonSpec => ({
	status: 401,
	type: "INVALID_TOKEN",
	error: "invalid_token",
	description,
	remedy
});

export const REASONS = {
	no_token: {
		status: 401,
		type: "NO_TOKEN",
		error: null,
		description: "No Bearer token in the Authorization header",
		remedy: "Send `Authorization: Bearer <token>`; tokens in the query string or body are ignored."
	},
	token_too_large: invalid("The token is larger than 8 KiB", "Issue smaller tokens (fewer claims)."),
	malformed: invalid(
		"The token is not a well-formed signed JWT",
		"The client sent something that is not a compact JWS (three base64url parts, JSON header and payload); check how it copies the token."
	),
	unsupported_header: invalid(
		"The token header uses crit, b64, zip, jwk, jku, x5u or x5c, which are refused",
		"Keys come only from the issuer's key set; ask the issuer not to embed keys or critical extensions."
	),
	algorithm_not_allowed: invalid(
		"The token's algorithm is not allowed",
		"Add the issuer's signing algorithm to JWT_ALGORITHMS if it is asymmetric; `none` and HS* are never allowed."
	),
	unknown_key: invalid(
		"No key of the issuer matches the token",
		"The token's `kid` is not in the issuer's key set (within JWKS_COOLDOWN no refetch is made); check JWT_ISSUER/JWKS_URI, or refresh keys with `api.refreshKeys`."
	),
	key_mismatch: invalid(
		"The key named by the token cannot verify its algorithm",
		"The JWK's kty/crv/alg/use/key_ops do not fit the token's `alg`; the issuer's key set and tokens disagree."
	),
	bad_signature: invalid("The token's signature is invalid", "The token was altered or signed by another key."),
	issuer_mismatch: invalid("The token's issuer is not trusted", "`iss` must equal one JWT_ISSUER entry exactly (scheme, host, path, trailing slash)."),
	missing_claim: invalid("A required claim is missing", "Tokens need `iss` and `exp` (and `iat` with JWT_MAX_TOKEN_AGE, `aud` with JWT_AUDIENCE)."),
	invalid_claim: invalid("A claim has the wrong type", "`iss` must be a string, `exp`/`nbf`/`iat` finite numbers, `aud` a string or array of strings."),
	expired: invalid("The token has expired", "The client must get a new token; check clocks if it happens to fresh tokens (JWT_CLOCK_TOLERANCE)."),
	not_yet_valid: invalid("The token is not valid yet (nbf)", "Clock skew between issuer and gateway; check NTP or raise JWT_CLOCK_TOLERANCE."),
	issued_in_future: invalid("The token was issued in the future (iat)", "Clock skew between issuer and gateway; check NTP or raise JWT_CLOCK_TOLERANCE."),
	too_old: invalid("The token is older than the allowed maximum age", "The token's `iat` is older than JWT_MAX_TOKEN_AGE; the client must get a new token."),
	audience_mismatch: invalid("The token is not meant for this audience", "`aud` must contain one of JWT_AUDIENCE; the token was minted for another API."),
	revoked: invalid("The token has been revoked", "An operator revoked the token (`api.revoke { jti }`) or its subject (`api.revoke { sub }`); the client must get a new token."),
	type_mismatch: invalid("The token type is not accepted", "The header `typ` must match JWT_TYPE (e.g. at+jwt): an ID token or other JWT was sent as an access token."),
	insufficient_scope: {
		status: 403,
		type: "INSUFFICIENT_SCOPE",
		error: "insufficient_scope",
		description: "The token lacks a scope this action requires",
		remedy: "The 403's `scope` attribute and `data.scope` name what the failing part requires (`data.requirement`: `scopes` all, `anyScope` one of, `permissions` all); request a token with them."
	},
	access_denied: {
		status: 403,
		type: "ACCESS_DENIED",
		error: null,
		description: "The token's subject may not call this action",
		remedy: "`data.requirement` names the part that failed: `roles` (none in JWT_ROLES_CLAIM), `claims` (a claim differs) or `issuers` (another issuer); `api.listAccess` shows what each action requires."
	},
	action_misdeclared: {
		status: 403,
		type: "ACTION_MISDECLARED",
		error: null,
		description: "The action's auth declaration cannot be read, so nobody may call it",
		remedy: "Fix the action's `auth`: `false`, `\"optional\"`, `\"required\"` or an object of `scopes`, `anyScope`, `permissions`, `roles`, `claims`, `issuers`; the gateway logs the action's name."
	},
	route_unprotected: {
		status: 403,
		type: "ROUTE_UNPROTECTED",
		error: null,
		description: "The action requires a token but its route does not verify tokens, so nobody may call it through this route",
		remedy: "Set `authorization: true` on the route, or declare `auth: false` on the action if it is public; the gateway logs the action's name (a local action stops the gateway at start instead)."
	},
	jwks_unavailable: {
		status: 503,
		type: "JWKS_UNAVAILABLE",
		error: null,
		description: "The issuer's keys cannot be fetched right now",
		remedy: "The key set is unreachable, slow (JWKS_TIMEOUT) or garbage and no cached key fits (also a token's unknown kid while the last fetch failed); the client should retry after Retry-After. Check the issuer's jwks_uri from the gateway host."
	}
} as const satisfies Record<string, ReasonSpec>;

export type Reason = keyof typeof REASONS;

export const REASON_NAMES = Object.keys(REASONS) as Reason[];

export interface Rejection {
	readonly ok: false;
	readonly reason: Reason;
	/** Replaces the generic description, e.g. naming the missing claim. Never token material. */
	readonly detail?: string;
	/** Seconds, for 503 answers. */
	readonly retryAfter?: number;
	/** For insufficient_scope: what the failing part requires. */
	readonly requiredScopes?: readonly string[];
	/** For insufficient_scope and access_denied: the part of the declaration that failed. */
	readonly requirement?: RequirementPart;
	/** Unverified `iss` and `kid` of the token, for logs only. */
	readonly claimedIssuer?: string;
	readonly claimedKid?: string;
}

export function reject(reason: Reason, detail?: string): Rejection {
	return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/** RFC 6750 §3: error_description and scope allow %x20-21 / %x23-5B / %x5D-7E only. */
function quotable(text: string): string {
	return text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, "");
}

export const REALM = "api";

/**
 * The WWW-Authenticate value for a rejection, or null when the status carries none (503).
 * `resourceMetadata` (RFC 9728 §5.1) is added to 401 challenges, so a client can discover how to
 * get a token; it is a validated URL with nothing to quote.
 */
export function challengeFor(rejection: Rejection, resourceMetadata?: string): string | null {
	const spec: ReasonSpec = REASONS[rejection.reason];
	// Only 401s and insufficient scope are Bearer challenges (RFC 6750 §3).
	if (spec.error === null && spec.status !== 401) return null;
	const parts = [`Bearer realm="${REALM}"`];
	if (spec.error !== null) {
		parts.push(`error="${spec.error}"`);
		parts.push(`error_description="${quotable(rejection.detail ?? spec.description)}"`);
	}
	if (rejection.requiredScopes && rejection.requiredScopes.length > 0) {
		parts.push(`scope="${quotable(rejection.requiredScopes.join(" "))}"`);
	}
	if (resourceMetadata !== undefined && spec.status === 401) parts.push(`resource_metadata="${quotable(resourceMetadata)}"`);
	return parts.join(", ");
}
