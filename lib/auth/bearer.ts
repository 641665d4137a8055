/**
 * RFC 6750 §2.1: the token comes from `Authorization: Bearer <token>` only (scheme
 * case-insensitive, RFC 7235 §2.1). Query-string and body tokens are deliberately ignored.
 *
 * Read by hand rather than with a regular expression: this runs on every request, over a
 * header of a kilobyte or more, and the scan below touches each character once.
 */
const SCHEME = "bearer";

function isLineBreak(code: number): boolean {
	return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

/**
 * The credentials after `Bearer `, or null when the request carries no Bearer token: the
 * scheme (case-insensitive), at least one space, then the rest of one line, trimmed.
 */
export function bearerToken(authorization: string | undefined): string | null {
	if (authorization === undefined) return null;
	const value = authorization.trim();
	if (value.length <= SCHEME.length + 1 || value.charCodeAt(SCHEME.length) !== 0x20) return null;
	if (value.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return null;
	for (let i = SCHEME.length + 1; i < value.length; i++) {
		if (isLineBreak(value.charCodeAt(i))) return null;
	}
	const token = value.slice(SCHEME.length + 1).trim();
	return token === "" ? null : token;
}
