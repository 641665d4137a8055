/**
 * The common recipe, as a baseline: jwks-rsa fetches and caches the key by kid, and
 * jsonwebtoken verifies with the PEM string `getPublicKey()` returns, on every request.
 * jsonwebtoken cannot verify EdDSA, so this gateway only takes part in the RS256 scenarios.
 */
import jwt from "jsonwebtoken";
import { JwksClient } from "jwks-rsa";
import type { ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { plainGateway } from "./gateway-schema";

const { UnAuthorizedError, ERR_NO_TOKEN, ERR_INVALID_TOKEN } = ApiGateway.Errors;

export function recipeGateway(issuer: string, jwksUri: string): ServiceSchema {
	const client = new JwksClient({ jwksUri, cache: true, rateLimit: false });
	return plainGateway(async (ctx, _route, req) => {
		const auth = req.headers.authorization;
		if (auth === undefined || !auth.startsWith("Bearer ")) throw new UnAuthorizedError(ERR_NO_TOKEN, null);
		const token = auth.slice(7);
		const decoded = jwt.decode(token, { complete: true });
		const kid = decoded?.header.kid;
		if (kid === undefined) throw new UnAuthorizedError(ERR_INVALID_TOKEN, null);
		try {
			const key = await client.getSigningKey(kid);
			ctx.meta.user = jwt.verify(token, key.getPublicKey(), { algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256"], issuer });
		} catch {
			throw new UnAuthorizedError(ERR_INVALID_TOKEN, null);
		}
	});
}
