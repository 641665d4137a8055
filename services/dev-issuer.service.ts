/**
 * The embedded development issuer, a stand-in for Zuplo's JWT service: discovery document
 * and key set under its issuer URL, EdDSA (Ed25519) tokens by default, RS256 on request.
 * It runs only when no JWT_ISSUER is configured, and never with NODE_ENV=production
 * (app-config.ts decides).
 */
import { Service, type Context, type ServiceBroker, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import { processAppConfig, type AppConfig } from "./app-config";
import { generateSigningKey, mintToken, type SigningKey } from "../lib/dev-issuer/signer";

interface MintParams {
	sub?: string;
	scope?: string;
	aud?: string | string[];
	expiresIn?: number;
	alg?: "EdDSA" | "RS256";
	claims?: Record<string, unknown>;
}

interface DevIssuerVars {
	keys: { EdDSA: SigningKey; RS256: SigningKey };
}

type DevIssuerThis = Service & DevIssuerVars;

export function createDevIssuerService(issuer: string, gatewayPort: number): ServiceSchema {
	const schema: ServiceSchema<ServiceSettingSchema, object, DevIssuerVars> = {
		name: "dev-issuer",

		actions: {
			discovery: {
				visibility: "published",
				// Public: the gateway routes it without authorization.
				auth: false,
				handler() {
					return {
						issuer,
						jwks_uri: `${issuer.replace(/\/+$/, "")}/.well-known/jwks.json`,
						id_token_signing_alg_values_supported: ["EdDSA", "RS256"],
						response_types_supported: ["token"],
						subject_types_supported: ["public"]
					};
				}
			},
			jwks: {
				visibility: "published",
				auth: false,
				handler(this: DevIssuerThis) {
					return { keys: [this.keys.EdDSA.jwk, this.keys.RS256.jwk] };
				}
			},
			/**
			 * Its own node only (REPL: `call dev-issuer.mint --sub alice --scope "read:things"`):
			 * "protected" is never announced over the transporter, so no other node can mint
			 * tokens the gateway accepts. Its answer, a token, is kept out of trace spans.
			 */
			mint: {
				visibility: "protected",
				tracing: { tags: { params: false, meta: false, response: false } },
				params: {
					sub: { type: "string", optional: true, max: 256 },
					scope: { type: "string", optional: true, max: 1024 },
					aud: { type: "multi", optional: true, rules: [{ type: "string" }, { type: "array", items: "string" }] },
					expiresIn: { type: "number", optional: true, integer: true, positive: true, max: 86400, convert: true },
					alg: { type: "enum", optional: true, values: ["EdDSA", "RS256"] },
					claims: { type: "object", optional: true }
				},
				handler(this: DevIssuerThis, ctx: Context<MintParams>) {
					const { alg = "EdDSA", expiresIn = 3600, ...rest } = ctx.params;
					const token = mintToken(this.keys[alg], { issuer, expiresIn, ...rest });
					return { token, alg, kid: this.keys[alg].kid, expiresIn };
				}
			}
		},

		created(this: DevIssuerThis) {
			this.keys = { EdDSA: generateSigningKey("EdDSA"), RS256: generateSigningKey("RS256") };
		},

		started(this: DevIssuerThis) {
			const token = mintToken(this.keys.EdDSA, { issuer, scope: "read:things" });
			this.logger.info(`Development issuer: ${issuer} (EdDSA and RS256 keys, new at every start; never use it in production)`);
			this.logger.info(`Try it: curl -H "Authorization: Bearer ${token}" http://localhost:${gatewayPort}/api/protected`);
		}
	};
	return schema as ServiceSchema;
}

/**
 * With JWT_ISSUER set this returns a service that is never registered, so nothing of the
 * development issuer runs (moleculer-runner loads every file of services/).
 */
export default function devIssuerService(broker: ServiceBroker): ServiceSchema | Service {
	const config: AppConfig = processAppConfig();
	if (config.devIssuerUrl === null) return new Service(broker);
	return createDevIssuerService(config.devIssuerUrl, config.port);
}
