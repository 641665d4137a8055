/**
 * Which key-set URLs may be plain http. In production a key set fetched over http can be
 * swapped by anyone on the path, and with it every token the gateway accepts: https is
 * required, except on the loopback interface (a sidecar or a local issuer never leaves the
 * host) or when the operator says so with JWT_ALLOW_HTTP=true (a private network they trust).
 */
import { isIP } from "node:net";

export function isLoopbackHost(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
	if (host === "localhost" || host.endsWith(".localhost")) return true;
	if (isIP(host) === 4) return host.startsWith("127.");
	return host === "::1" || host === "0:0:0:0:0:0:0:1";
}

/** Why `url` may not be used for keys when https is required, or null when it may. */
export function insecureUrlProblem(url: string): string | null {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return `"${url}" is not a URL`;
	}
	if (parsed.protocol === "https:" || isLoopbackHost(parsed.hostname)) return null;
	return `"${url}" is not https (required with NODE_ENV=production unless the host is loopback or JWT_ALLOW_HTTP=true)`;
}

/** The first of named URLs (null: not configured) that may not be used for keys, with why. */
export function firstInsecureUrl(urls: Iterable<readonly [string, string | null]>): { name: string; problem: string } | null {
	for (const [name, url] of urls) {
		const problem = url === null ? null : insecureUrlProblem(url);
		if (problem !== null) return { name, problem };
	}
	return null;
}
