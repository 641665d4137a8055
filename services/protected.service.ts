/**
 * The protected resource: it trusts `ctx.meta.user` because only the gateway's verifier
 * writes it (client headers never reach it).
 */
import type { Context, ServiceSchema } from "moleculer";

interface UserMeta {
	user?: Record<string, unknown> | null;
}

const ProtectedService: ServiceSchema = {
	name: "protected",

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
