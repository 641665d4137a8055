/**
 * Who may call what, for people and for clients. `listAccess` (broker only, for the REPL) lists
 * every routed alias with its action, the nodes that serve it and the compiled requirement;
 * `resourceMetadataRoute` publishes RFC 9728 metadata, whose scopes come from the same routed
 * actions. Both read moleculer-web's own aliases and the registry's own action schemas (the
 * objects requests are authorized against), so they show what is enforced, not a copy of it.
 */
import type { Service, ServiceSchema } from "moleculer";
import type { GatewayResponse, IncomingRequest } from "moleculer-web";
import { describeRequirement, requirementOf, RESOURCE_METADATA_PATH, resourceMetadata, type AuthConfig, type Requirement } from "../lib/auth";

/** moleculer-web's Alias, as far as it is read here. */
interface RoutedAlias {
	readonly method: string;
	readonly fullPath: string;
	readonly action: string | null;
	readonly route: { readonly authorization: unknown };
}

interface ActionEndpoints {
	readonly endpoints: readonly { readonly node: { readonly id: string }; readonly action: { readonly auth?: unknown } }[];
}

export interface AccessEntry {
	readonly method: string;
	readonly path: string;
	readonly action: string | null;
	readonly nodes: readonly string[];
	readonly requirement: string;
}

interface CatalogMethods {
	routedRequirements(): Requirement[];
}

interface CatalogVars {
	/** moleculer-web's list of aliases. */
	aliases?: readonly RoutedAlias[];
	resourceMetadataBody: string | null;
}

type CatalogThis = Service & CatalogMethods & CatalogVars;

const PUBLIC_ROUTE: Requirement = { kind: "public" };

/** Each node's endpoint for the alias's action (none when no node serves it now). */
function endpointsOf(service: Service, alias: RoutedAlias): ActionEndpoints["endpoints"] {
	if (alias.action === null) return [];
	const list = (service.broker.registry as unknown as { getActionEndpoints(name: string): ActionEndpoints | undefined }).getActionEndpoints(alias.action);
	return list?.endpoints ?? [];
}

/** What a request through the alias must show, per endpoint: a route without authorization lets everyone in. */
function requirementsOf(service: Service, alias: RoutedAlias): { node: string | null; requirement: Requirement }[] {
	if (!alias.route.authorization) return [{ node: null, requirement: PUBLIC_ROUTE }];
	// A function alias runs on the gateway itself, under the default requirement.
	if (alias.action === null) return [{ node: service.broker.nodeID, requirement: requirementOf(undefined) }];
	return endpointsOf(service, alias).map(endpoint => ({ node: endpoint.node.id, requirement: requirementOf(endpoint.action.auth) }));
}

function accessEntry(service: Service, alias: RoutedAlias): AccessEntry {
	const nodes = alias.action === null ? [service.broker.nodeID] : endpointsOf(service, alias).map(endpoint => endpoint.node.id);
	const entry = { method: alias.method, path: alias.fullPath, action: alias.action, nodes };
	if (!alias.route.authorization) return { ...entry, requirement: "public (route without authorization)" };
	const perNode = requirementsOf(service, alias);
	const descriptions = new Set(perNode.map(entry => describeRequirement(entry.requirement)));
	// Nodes of one action normally agree; during a rolling deploy they may not, and that must show.
	const requirement =
		descriptions.size <= 1 ? ([...descriptions][0] ?? "no node serves it") : perNode.map(entry => `${entry.node}: ${describeRequirement(entry.requirement)}`).join("; ");
	return { ...entry, requirement };
}

export function accessCatalogMixin(): Partial<ServiceSchema> {
	const mixin: Partial<ServiceSchema<object, CatalogMethods, CatalogVars, CatalogThis>> = {
		actions: {
			/** Broker-only (never aliased): every routed alias, its action, nodes and requirement. */
			listAccess: {
				visibility: "public",
				handler(this: CatalogThis): AccessEntry[] {
					return (this.aliases ?? []).map(alias => accessEntry(this, alias));
				}
			}
		},

		events: {
			// A service joining or leaving can add or remove routed scopes: build the metadata again on next request.
			"$services.changed"(this: CatalogThis) {
				this.resourceMetadataBody = null;
			}
		},

		methods: {
			routedRequirements(this: CatalogThis): Requirement[] {
				return (this.aliases ?? []).flatMap(alias => requirementsOf(this, alias).map(entry => entry.requirement));
			}
		},

		created(this: CatalogThis) {
			this.resourceMetadataBody = null;
		}
	};
	return mixin as Partial<ServiceSchema>;
}

/** `GET /.well-known/oauth-protected-resource`, no token needed; its body is built once per change of services. */
export function resourceMetadataRoute(config: Pick<AuthConfig, "issuers" | "publicUrl">) {
	const { issuers, publicUrl } = config;
	if (publicUrl === null) throw new Error("The resource metadata route needs the gateway's public URL (options.publicUrl)");
	return {
		path: "/.well-known",
		authorization: false,
		bodyParsers: false,
		mappingPolicy: "restrict" as const,
		aliases: {
			[`GET ${RESOURCE_METADATA_PATH.slice("/.well-known".length)}`](this: CatalogThis, _req: IncomingRequest, res: GatewayResponse) {
				this.resourceMetadataBody ??= JSON.stringify(resourceMetadata({ issuers, publicUrl }, this.routedRequirements()));
				res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache" });
				res.end(this.resourceMetadataBody);
			}
		}
	};
}
