/**
 * RFC 6750 §2.1: the token comes from `Authorization: Bearer <token>` only (scheme
 * case-insensitive, RFC 7235 §2.1). Query-string and body tokens are deliberately ignored.
 *
 * Read by hand rather than with one regular expression over the whole header (a capture of a
 * kilobyte or more on every request); only the search for a line break is a regular
 * expression: a single character class, which V8 scans natively, far faster than a loop over
 * the characters in JavaScript (bench/HISTORY.md).
 */
const SCHEME = "bearer";
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * The credentials after `Bearer `, or null when the request carries no Bearer token: the
 * scheme (case-insensitive), at least one space, then the rest of one line, trimmed.
 */
export function bearerToken(authorization: string | undefined): string | null {
	if (authorization === undefined) return null;
	const value = authorization.trim();
	// The trimmed value ends in a non-space: a space after the scheme means a non-empty token follows.
	if (value.charCodeAt(SCHEME.length) !== 0x20) return null;
	if (value.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return null;
	if (LINE_BREAK.test(value)) return null;
	return value.slice(SCHEME.length + 1).trim();
}
