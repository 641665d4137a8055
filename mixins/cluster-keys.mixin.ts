/**
 * `api.refreshKeys` for a cluster: after a key compromise every gateway node must drop the key,
 * not the one node the balancer picks. The call fans out with Moleculer's own means (one
 * `ctx.call` per node the registry lists with the `api` service, by `nodeID`) to the
 * node-local `refreshLocalKeys`, and answers one report per node and issuer, a node that
 * failed to answer included. Both actions are broker-only: no alias names them.
 */
import { Errors, type Context, type Service, type ServiceSchema } from "moleculer";
import type { Authenticator, RefreshReport } from "../lib/auth";

/** A refresh asked for an issuer this gateway does not trust: an error, never an empty answer. */
export class UnknownIssuerError extends Errors.MoleculerClientError {
	constructor(issuer: string, configured: readonly string[]) {
		super(`Issuer "${issuer}" is not configured on this gateway`, 422, "UNKNOWN_ISSUER", { issuer, configured });
	}
}

export interface NodeRefreshReport {
	readonly nodeID: string;
	/** Null when the node did not answer (its error says why). */
	readonly issuer: string | null;
	readonly ok: boolean;
	readonly error?: string;
	readonly kids: readonly string[];
	readonly added: readonly string[];
	readonly removed: readonly string[];
}

interface ClusterKeysThis extends Service {
	authenticator: Authenticator;
}

interface RefreshParams {
	issuer?: string;
}

/** The gateway nodes of this namespace: every available node that runs a service of this name. */
export function gatewayNodes(service: Service): string[] {
	const nodes = service.broker.registry
		.getServiceList({ onlyAvailable: true })
		.filter(entry => entry.name === service.name)
		.map(entry => entry.nodeID as string);
	return [...new Set(nodes)].sort();
}

function unanswered(nodeID: string, issuer: string | undefined, err: unknown): NodeRefreshReport {
	const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
	return { nodeID, issuer: issuer ?? null, ok: false, error, kids: [], added: [], removed: [] };
}

export function clusterKeysMixin(): Partial<ServiceSchema> {
	const mixin: Partial<ServiceSchema<object, object, object, ClusterKeysThis>> = {
		actions: {
			/** Broker-only: every gateway node refetches now, bypassing the cooldown; one report per node and issuer. */
			refreshKeys: {
				visibility: "public",
				params: { issuer: { type: "string", optional: true } },
				async handler(this: ClusterKeysThis, ctx: Context<RefreshParams>): Promise<NodeRefreshReport[]> {
					const { issuer } = ctx.params;
					if (issuer !== undefined && !this.authenticator.stores.has(issuer)) throw new UnknownIssuerError(issuer, [...this.authenticator.stores.keys()]);
					const params = issuer === undefined ? {} : { issuer };
					const answers = await Promise.all(
						gatewayNodes(this).map(nodeID =>
							ctx.call<NodeRefreshReport[], RefreshParams>(`${this.fullName}.refreshLocalKeys`, params, { nodeID, retries: 0 }).catch((err: unknown) => [unanswered(nodeID, issuer, err)])
						)
					);
					return answers.flat();
				}
			},

			/** Broker-only: this node's key sets, refetched now. Called by `refreshKeys` on each node. */
			refreshLocalKeys: {
				visibility: "public",
				params: { issuer: { type: "string", optional: true } },
				async handler(this: ClusterKeysThis, ctx: Context<RefreshParams>): Promise<NodeRefreshReport[]> {
					const { issuer } = ctx.params;
					if (issuer !== undefined && !this.authenticator.stores.has(issuer)) throw new UnknownIssuerError(issuer, [...this.authenticator.stores.keys()]);
					const reports: RefreshReport[] = await this.authenticator.refreshKeys(issuer);
					const nodeID = this.broker.nodeID;
					for (const report of reports) {
						this.logger.info(`Key set of ${report.issuer} refreshed on request: ${report.ok ? `added [${report.added}], removed [${report.removed}]` : `failed: ${report.error}`}`);
					}
					return reports.map(report => ({ nodeID, ...report }));
				}
			}
		}
	};
	return mixin as Partial<ServiceSchema>;
}
