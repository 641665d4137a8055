/**
 * RFC 9728 protected resource metadata: what a client needs to learn before it asks an
 * authorization server for a token. Built from the configuration and the requirements of the
 * actions the gateway routes, so it names only scopes some routed action asks for.
 */
import type { AuthConfig } from "./config";
import { scopesNamed, type Requirement } from "./requirement";

export const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

export interface ProtectedResourceMetadata {
	readonly resource: string;
	readonly authorization_servers: readonly string[];
	readonly bearer_methods_supported: readonly ["header"];
	readonly scopes_supported: readonly string[];
}

/** Where the metadata is published, as 401 challenges name it (`resource_metadata`); none without a public URL. */
export function resourceMetadataUrl(config: Pick<AuthConfig, "publicUrl">): string | undefined {
	return config.publicUrl === null ? undefined : `${config.publicUrl}${RESOURCE_METADATA_PATH}`;
}

export function resourceMetadata(config: Pick<AuthConfig, "issuers"> & { readonly publicUrl: string }, routed: Iterable<Requirement>): ProtectedResourceMetadata {
	const scopes = new Set<string>();
	for (const requirement of routed) for (const scope of scopesNamed(requirement)) scopes.add(scope);
	return {
		resource: config.publicUrl,
		authorization_servers: config.issuers.map(issuer => issuer.issuer),
		bearer_methods_supported: ["header"],
		scopes_supported: [...scopes].sort()
	};
}
