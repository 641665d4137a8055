/**
 * The parts of `auth` when the action lives on another node (the gateway reads the declaration
 * from the registry's copy, as INFO packets carried it), over TCP and the real NATS server; the
 * review listing and RFC 9728 metadata follow the service as it joins and leaves.
 */
import { ServiceBroker, type Service } from "moleculer";
import { parseAuthConfig } from "../../lib/auth/policy/env";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import type { AccessEntry } from "../../mixins/access-catalog.mixin";
import { KeyServer } from "../support/key-server";
import { get, waitFor } from "../support/gateway";
import { uniqueNamespace } from "../support/nats";
import { describeWithNats } from "../support/nats-gate";
import { nats, tcp } from "../support/transporters";
import { claimsFor, expectForbidden, send } from "../support/attack-kit";
import { urlOf, type Endpoint } from "../support/action-gateway";
import { shaped, SHAPE_CLAIM, SHAPES, type Grants } from "../support/issuer-shapes";
import { ANY_SCOPE, PERMISSIONS, vaultGateway, VAULT_ENDPOINTS, vaultService } from "../support/vault";

jest.setTimeout(60_000);

const SHAPE = "keycloak";
const { issuerPath, rolesClaim } = SHAPES[SHAPE];

for (const [name, transporters, suite] of [
	["TCP", tcp, describe],
	["NATS", nats, describeWithNats()]
] as const) {
	suite(`vault on another node over ${name}`, () => {
		let issuer: KeyServer;
		let key: SigningKey;
		let gwBroker: ServiceBroker;
		let svcBroker: ServiceBroker;
		let gw: Service;
		let url = "";

		beforeAll(async () => {
			issuer = await new KeyServer({ issuerPath }).start();
			key = issuer.addKey("RS256", "kc-1");
			const [gwTransporter, svcTransporter] = await transporters();
			const namespace = uniqueNamespace(`requirements-${name}`);
			gwBroker = new ServiceBroker({ namespace, nodeID: "gw-node", transporter: gwTransporter, logger: false, metrics: false });
			svcBroker = new ServiceBroker({ namespace, nodeID: "svc-node", transporter: svcTransporter, logger: false, metrics: false });
			gw = gwBroker.createService(vaultGateway(parseAuthConfig({ PORT: "0", JWT_ISSUER: issuer.issuer, JWT_ROLES_CLAIM: rolesClaim })));
			svcBroker.createService(vaultService(SHAPE_CLAIM[SHAPE], { remove: "https://elsewhere.example.com/", rotate: issuer.issuer }));
			// The gateway starts alone: the vault joins later, in a test.
			await gwBroker.start();
			url = urlOf(gw);
			await waitFor(() => (gw as unknown as { authenticator: { readiness(): { ready: boolean } } }).authenticator.readiness().ready);
		});

		afterAll(async () => {
			await Promise.all([gwBroker.stop(), svcBroker.stop()]);
			await issuer.stop();
		});

		const token = (grants: Grants) => issuer.sign(key, claimsFor(issuer.issuer, shaped(SHAPE, grants)));
		const hit = (endpoint: Endpoint, bearerToken: string) => send(endpoint.method, `${url}${endpoint.path}`, { Authorization: `Bearer ${bearerToken}` });
		const scopesSupported = async () => (await get(`${url}/.well-known/oauth-protected-resource`)).body.scopes_supported as string[];

		it("publishes no vault scope while no node serves the vault", async () => {
			expect(await scopesSupported()).toEqual([]);
		});

		it("publishes the vault's scopes once it joins, and lists its aliases with the node that serves them", async () => {
			await svcBroker.start();
			await gwBroker.waitForServices(["vault"], 15_000);
			await waitFor(async () => (await scopesSupported()).length > 0);
			expect(await scopesSupported()).toEqual(["vault:admin", "vault:read"]);
			const listing: AccessEntry[] = await gwBroker.call("gw.listAccess");
			expect(listing).toContainEqual({ method: "GET", path: "/x/get", action: "vault.get", nodes: ["svc-node"], requirement: "a valid token with roles any of [auditor, admin]" });
			expect(gwBroker.registry.getServiceList({ onlyLocal: true }).map(s => s.name)).not.toContain("vault");
		});

		it.each(["explicit", "rest"] as const)("enforces roles at %s aliases of the remote action (JWT_ROLES_CLAIM=realm_access.roles)", async kind => {
			expect(await hit(VAULT_ENDPOINTS[kind].roles, token({ roles: ["admin"] }))).toMatchObject({ status: 200, body: { action: "get" } });
			const viewer = token({ roles: ["viewer"] });
			expectForbidden(await hit(VAULT_ENDPOINTS[kind].roles, viewer), viewer, "roles");
		});

		it("enforces anyScope, permissions, claims and issuers of the remote actions", async () => {
			const at = VAULT_ENDPOINTS.explicit;
			const plain = token({ scopes: ["openid"] });
			expectForbidden(await hit(at.anyScope, plain), plain, "anyScope", ANY_SCOPE.join(" "));
			expectForbidden(await hit(at.permissions, plain), plain, "permissions", PERMISSIONS.join(" "));
			expectForbidden(await hit(at.issuers, plain), plain, "issuers");
			expect(await hit(at.claims, plain)).toMatchObject({ status: 200, body: { action: "update", user: { sub: SHAPES[SHAPE].claims.sub } } });
			expect(await hit(at.anyScope, token({ scopes: ["vault:read"] }))).toMatchObject({ status: 200 });
		});

		it("drops the vault's scopes when its node leaves", async () => {
			await svcBroker.stop();
			await waitFor(async () => (await scopesSupported()).length === 0, 15_000);
			expect(await scopesSupported()).toEqual([]);
		});
	});
}
