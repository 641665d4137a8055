/**
 * `api.revoke { jti, exp? }` / `{ sub, before? }` (broker-only: no alias names it) and the
 * `jwt.revoked` event that carries each revocation to every gateway node (a broadcast, so
 * every node applies it, not one per group). With REVOCATION_REDIS_URL each entry is also kept
 * in Redis until no token it matches can be valid, and a starting node reads them back.
 */
import { Errors, type Context, type Service, type ServiceSchema } from "moleculer";
import { MAX_REVOKED_ID_LENGTH, readRevocation, RedisRevocationStore, revocationOf, type AuthConfig, type Authenticator, type Revocation } from "../lib/auth";
import { gatewayNodes } from "./cluster-keys.mixin";

export const REVOCATION_EVENT = "jwt.revoked";
export const REVOCATION_ENTRIES_METRIC = "jwt_revocation_entries";
const SWEEP_INTERVAL_MS = 30_000;
const REDIS_RETRY_MS = 5_000;

/** Redis could not keep the entry: the running nodes have it, a node started later would not. */
export class RevocationNotStoredError extends Errors.MoleculerRetryableError {
	constructor(detail: string) {
		super(`The revocation reached the running gateways but could not be kept in Redis: ${detail}`, 503, "REVOCATION_NOT_STORED", { reachedRunningNodes: true });
	}
}

interface RevocationThis extends Service {
	authenticator: Authenticator;
	revocationStore: RedisRevocationStore | null;
	revocationTimer: NodeJS.Timeout | undefined;
	revocationSweeper: NodeJS.Timeout | undefined;
	admitRevocation(revocation: Revocation): void;
	countRevocations(): void;
	loadRevocations(): Promise<void>;
}

const id = { type: "string", optional: true, empty: false, max: MAX_REVOKED_ID_LENGTH } as const;
const epochSeconds = { type: "number", optional: true, integer: true, min: 0, convert: false } as const;

export function revocationMixin(config: AuthConfig): Partial<ServiceSchema> {
	const mixin: Partial<ServiceSchema<object, object, object, RevocationThis>> = {
		actions: {
			revoke: {
				visibility: "public",
				params: { jti: id, sub: id, before: epochSeconds, exp: epochSeconds, $$strict: true },
				async handler(this: RevocationThis, ctx: Context<Record<string, unknown>>) {
					const revocation = revocationOf(ctx.params, Date.now());
					const expiresAt = this.authenticator.revocations.expiresAt(revocation);
					// Applied here first: a full list is this call's error, not a line in another node's log.
					this.admitRevocation(revocation);
					await ctx.broadcast(REVOCATION_EVENT, revocation);
					if (this.revocationStore !== null) {
						try {
							await this.revocationStore.save(revocation, expiresAt);
						} catch (err) {
							throw new RevocationNotStoredError(err instanceof Error ? err.message : String(err));
						}
					}
					return { revocation, until: new Date(expiresAt).toISOString(), nodes: gatewayNodes(this), stored: this.revocationStore !== null };
				}
			}
		},

		events: {
			[REVOCATION_EVENT]: {
				handler(this: RevocationThis, ctx: Context<unknown>) {
					try {
						this.admitRevocation(readRevocation(ctx.params));
					} catch (err) {
						this.logger.error(`Revocation from node ${ctx.nodeID ?? "?"} not applied: ${err instanceof Error ? err.message : String(err)}`);
					}
				}
			}
		},

		methods: {
			admitRevocation(this: RevocationThis, revocation: Revocation) {
				this.authenticator.revocations.add(revocation);
				this.countRevocations();
			},

			countRevocations(this: RevocationThis) {
				if (!this.broker.isMetricsEnabled()) return;
				const sizes = this.authenticator.revocations.sizes();
				this.broker.metrics.set(REVOCATION_ENTRIES_METRIC, sizes.jti, { kind: "jti" });
				this.broker.metrics.set(REVOCATION_ENTRIES_METRIC, sizes.sub, { kind: "sub" });
			},

			/** Until Redis answers once, retried in the background; each failure is logged. */
			async loadRevocations(this: RevocationThis) {
				const store = this.revocationStore;
				if (store === null) return;
				try {
					await store.connect();
					const { revocations, unreadable } = await store.load();
					for (const revocation of revocations) this.admitRevocation(revocation);
					this.logger.info(`Revocations read from Redis: ${revocations.length}${unreadable > 0 ? `, ${unreadable} unreadable skipped` : ""}`);
				} catch (err) {
					this.logger.error(`Revocations could not be read from Redis (retrying in ${REDIS_RETRY_MS} ms): ${err instanceof Error ? err.message : String(err)}`);
					this.revocationTimer = setTimeout(() => void this.loadRevocations(), REDIS_RETRY_MS);
					this.revocationTimer.unref();
				}
			}
		},

		created(this: RevocationThis) {
			if (this.broker.isMetricsEnabled()) {
				this.broker.metrics.register({ type: "gauge", name: REVOCATION_ENTRIES_METRIC, description: "Revocation entries held by this gateway", labelNames: ["kind"] });
			}
			this.revocationStore = config.revocation.redisUrl === null ? null : new RedisRevocationStore(config.revocation.redisUrl, this.broker.namespace);
		},

		async started(this: RevocationThis) {
			this.countRevocations();
			this.revocationSweeper = setInterval(() => {
				if (this.authenticator.revocations.sweep() > 0) this.countRevocations();
			}, SWEEP_INTERVAL_MS);
			this.revocationSweeper.unref();
			await this.loadRevocations();
		},

		async stopped(this: RevocationThis) {
			clearInterval(this.revocationSweeper);
			clearTimeout(this.revocationTimer);
			await this.revocationStore?.close();
		}
	};
	return mixin as Partial<ServiceSchema>;
}
