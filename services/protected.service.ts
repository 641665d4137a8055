/**
 * The protected resource: it trusts `ctx.meta.user` because only the gateway's verifier
 * writes it (client headers never reach it). With JWT_PROPAGATE_TOKEN=true it trusts no one on
 * the bus: it verifies the token the gateway passes along itself (zero-trust.mixin.ts).
 */
import type { Context, ServiceSchema } from "moleculer";
import { zeroTrust as zeroTrustMixin } from "moleculer-jwks-auth";
import { processAppConfig } from "./app-config";

interface UserMeta {
	user?: unknown;
}

// Read only when asked for: importing this schema parses no configuration otherwise.
const zeroTrust = process.env.JWT_PROPAGATE_TOKEN?.trim().toLowerCase() === "true";

const ProtectedService: ServiceSchema = {
	name: "protected",
	mixins: zeroTrust ? [zeroTrustMixin(processAppConfig().auth)] : [],

	actions: {
		/** `GET /api/protected`: the verified claims of the caller. */
		get: {
			handler(ctx: Context<unknown, UserMeta>) {
				return { message: "Access granted", user: ctx.meta.user };
			}
		}
	}
};

export default ProtectedService;
