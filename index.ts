/**
 * moleculer-jwks-auth: verifies Bearer JWTs against an issuer's JWKS in a moleculer-web gateway
 * and hands the verified claims to services in ctx.meta.user.
 *
 *   mixins: [ApiGateway, jwtAuth({ issuer: "https://issuer.example/", audience: "orders-api" })]
 */
import type { ServiceSchema } from "moleculer";
import { resolveOptions, type JwtAuthOptions } from "./lib/auth/policy/options";
import { resourceMetadataRoute as metadataRoute } from "./mixins/access-catalog.mixin";
import { zeroTrustMixin } from "./mixins/zero-trust.mixin";
import { OptionsError } from "./lib/auth/policy/options";

export { jwtAuth, readinessAlias } from "./mixins/jwt-auth";
export { JwtAuthSetupError } from "./mixins/gateway-guards";
export { fromEnv, parseMetricsPort, parsePort } from "./lib/auth/policy/env";
export { ConfigError, orExit, type Env, type MapUser } from "./lib/auth/policy/config";
export { OptionsError, type IssuerOptions, type JwksCacheOptions, type JwtAuthOptions, type RevocationOptions } from "./lib/auth/policy/options";
export type { ActionAuth } from "./mixins/action-auth";
export type { AuthDeclaration } from "./lib/auth/policy/requirement";
export type { JwsAlgorithm } from "./lib/auth/jws/algorithms";
export type { Readiness } from "./lib/auth/authenticator";
export type { GatewayMeta } from "./mixins/jwt-auth.mixin";

/**
 * For a service node that trusts no one on the bus (`propagateToken: true` on the gateway): it
 * verifies the token passed along with each call itself before any action that requires auth.
 */
export function zeroTrust(options: JwtAuthOptions): Partial<ServiceSchema> {
	return zeroTrustMixin(resolveOptions(options));
}

/** `GET /.well-known/oauth-protected-resource` (RFC 9728) as a route for `settings.routes`; needs `publicUrl`. */
export function resourceMetadataRoute(options: JwtAuthOptions): ReturnType<typeof metadataRoute> {
	const config = resolveOptions(options);
	if (config.publicUrl === null) throw new OptionsError("publicUrl", "is required for the resource metadata route: the gateway's public URL, such as https://api.example.com");
	return metadataRoute(config);
}
