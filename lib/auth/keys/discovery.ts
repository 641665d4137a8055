/**
 * Where an issuer's key set lives: OIDC discovery (`jwks_uri`, whose document must name the
 * same issuer, OIDC Discovery §4.3 / RFC 8414 §3.3), or `/.well-known/jwks.json` when there is
 * no discovery document (the Zuplo layout). Never a URL from a token.
 */
import { fetchJson, FetchError } from "./http-fetch";
import { insecureUrlProblem } from "./url-policy";

/** `https://x/` and `https://x` both give `https://x/.well-known/...`. */
export function wellKnown(issuer: string, name: string): string {
	return `${issuer.replace(/\/+$/, "")}/.well-known/${name}`;
}

/** `requireHttps`: a plain-http `jwks_uri` off the loopback interface fails the discovery. */
export async function discoverJwksUri(issuer: string, signal: AbortSignal, requireHttps = false): Promise<string> {
	let document: unknown;
	try {
		document = await fetchJson(wellKnown(issuer, "openid-configuration"), signal);
	} catch (err) {
		if (err instanceof FetchError && err.status === 404) return wellKnown(issuer, "jwks.json");
		throw err;
	}
	if (typeof document !== "object" || document === null) throw new FetchError("the discovery document is not a JSON object");
	const { issuer: named, jwks_uri: jwksUri } = document as Record<string, unknown>;
	if (named !== issuer) throw new FetchError(`the discovery document names issuer ${JSON.stringify(named)}, not the configured one`);
	if (typeof jwksUri !== "string" || !/^https?:\/\//.test(jwksUri)) throw new FetchError("the discovery document has no http(s) jwks_uri");
	const insecure = requireHttps ? insecureUrlProblem(jwksUri) : null;
	if (insecure !== null) throw new FetchError(`the discovery document's jwks_uri ${insecure}`);
	return jwksUri;
}
