/**
 * RFC 6750 §2.1: the token comes from `Authorization: Bearer <token>` only (scheme
 * case-insensitive, RFC 7235 §2.1). Query-string and body tokens are deliberately ignored.
 */
const BEARER = /^bearer(?: +(.*))?$/i;

/** The credentials after `Bearer `, or null when the request carries no Bearer token. */
export function bearerToken(authorization: string | undefined): string | null {
	if (authorization === undefined) return null;
	const match = BEARER.exec(authorization.trim());
	const token = match?.[1]?.trim();
	return token ? token : null;
}
