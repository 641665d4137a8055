/**
 * For service nodes in zero-trust deployments (JWT_PROPAGATE_TOKEN=true on every node): the
 * gateway passes the bearer token along with the call (`ctx.meta.authToken`), and this mixin
 * verifies it again with the same core and configuration (its own key store, cache and
 * revocation list) before any action that requires auth runs, then sets `ctx.meta.user` from
 * its own verification. Claims that arrive without a token it can verify are refused: anything
 * on the bus can write `ctx.meta.user`, only the issuer can sign a token.
 *
 * Actions declare `auth` as on the gateway; an action without a declaration requires a valid
 * token. Revocations broadcast by the gateways (`jwt.revoked`) are honoured here too.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { Authenticator, parseClaimPath, readRevocation, reject, RequirementMemo, unmetDemand, type AuthConfig, type ClaimPath } from "../lib/auth";
import { errorFor, type GatewayMeta } from "./jwt-auth.mixin";
import { REVOCATION_EVENT } from "./revocation.mixin";

interface ZeroTrustThis extends Service {
	zeroTrust: Authenticator;
	zeroTrustRequirements: RequirementMemo;
}

export function zeroTrustMixin(config: AuthConfig): Partial<ServiceSchema> {
	const rolesClaim = parseClaimPath(config.rolesClaim) as ClaimPath;
	const mixin: Partial<ServiceSchema<object, object, object, ZeroTrustThis>> = {
		hooks: {
			before: {
				/** Before every action of the service: the caller proves its claims with a token, or is refused. */
				async "*"(this: ZeroTrustThis, ctx: Context<unknown, GatewayMeta>) {
					const requirement = this.zeroTrustRequirements.of((ctx.action as { auth?: unknown } | undefined)?.auth);
					if (requirement.kind === "public") return;
					if (requirement.kind === "misdeclared") throw errorFor(reject("action_misdeclared"));
					const token = ctx.meta.authToken;
					if (typeof token !== "string" || token === "") {
						// Optional auth without a token runs as anonymous, whatever claims came along.
						if (requirement.kind === "optional" && (ctx.meta.user === undefined || ctx.meta.user === null)) {
							ctx.meta.user = null;
							return;
						}
						throw errorFor(reject("no_token"));
					}
					const verdict = await this.zeroTrust.verify(token);
					if (!verdict.ok) throw errorFor(verdict);
					const unmet = requirement.kind === "required" && requirement.demands !== null ? unmetDemand(requirement.demands, verdict.claims, verdict.issuer, rolesClaim) : null;
					if (unmet !== null) throw errorFor(unmet);
					ctx.meta.user = config.mapUser === null ? verdict.claims : config.mapUser(verdict.claims);
				}
			}
		},

		events: {
			[REVOCATION_EVENT]: {
				handler(this: ZeroTrustThis, ctx: Context<unknown>) {
					try {
						this.zeroTrust.revocations.add(readRevocation(ctx.params));
					} catch (err) {
						this.logger.error(`Revocation from node ${ctx.nodeID ?? "?"} not applied: ${err instanceof Error ? err.message : String(err)}`);
					}
				}
			}
		},

		created(this: ZeroTrustThis) {
			this.zeroTrust = new Authenticator(config);
			this.zeroTrustRequirements = new RequirementMemo();
		},

		started(this: ZeroTrustThis) {
			this.zeroTrust.start();
		},

		async stopped(this: ZeroTrustThis) {
			await this.zeroTrust.stop();
		}
	};
	return mixin as Partial<ServiceSchema>;
}
