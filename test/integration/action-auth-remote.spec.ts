/**
 * Per-action requirements when the action lives on another node: the gateway only knows the
 * remote action's schema from the registry (INFO packets), and must still honour its `auth`.
 */
import { ServiceBroker, type Service } from "moleculer";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { parseAuthConfig } from "../../lib/auth/policy/env";
import { KeyServer } from "../support/key-server";
import { waitFor } from "../support/gateway";
import { uniqueNamespace } from "../support/nats";
import { describeWithNats } from "../support/nats-gate";
import { nats, tcp } from "../support/transporters";
import { expectAnswer, NO_TOKEN, send } from "../support/attack-kit";
import { ENDPOINTS, gatewaySchema, REQUIRED_SCOPES, ThingsService, urlOf, type Endpoint } from "../support/action-gateway";

jest.setTimeout(60_000);

let issuer: KeyServer;
let key: SigningKey;

beforeAll(async () => {
	issuer = await new KeyServer().start();
	key = issuer.addKey("EdDSA", "ed-1");
});

afterAll(async () => {
	await issuer.stop();
});

for (const [name, transporters, suite] of [
	["TCP", tcp, describe],
	["NATS", nats, describeWithNats()]
] as const) suite(`things on another node over ${name}`, () => {
	let gwBroker: ServiceBroker | undefined;
	let svcBroker: ServiceBroker | undefined;
	let url = "";

	beforeAll(async () => {
		const [gwTransporter, svcTransporter] = await transporters();
		const namespace = uniqueNamespace(`action-auth-${name}`);
		gwBroker = new ServiceBroker({ namespace, nodeID: "gw-node", transporter: gwTransporter, logger: false, metrics: false });
		svcBroker = new ServiceBroker({ namespace, nodeID: "svc-node", transporter: svcTransporter, logger: false, metrics: false });
		const gw: Service = gwBroker.createService(gatewaySchema(parseAuthConfig({ PORT: "0", JWT_ISSUER: issuer.issuer })));
		svcBroker.createService(ThingsService);
		await Promise.all([gwBroker.start(), svcBroker.start()]);
		await gwBroker.waitForServices(["things"], 15_000);
		url = urlOf(gw);
		await waitFor(() => (gw as unknown as { authenticator: { readiness(): { ready: boolean } } }).authenticator.readiness().ready);
	});

	afterAll(async () => {
		await Promise.all([gwBroker?.stop(), svcBroker?.stop()]);
	});

	const hit = (endpoint: Endpoint, token?: string) => send(endpoint.method, `${url}${endpoint.path}`, token === undefined ? {} : { Authorization: `Bearer ${token}` });
	const valid = (scope?: string) => issuer.mint(key, { sub: `remote-${name}`, ...(scope === undefined ? {} : { scope }) });

	it("has things only on the other node", () => {
		expect(gwBroker?.registry.getServiceList({ onlyLocal: true }).map(s => s.name)).not.toContain("things");
	});

	it.each(["explicit", "rest"] as const)("answers 403 INSUFFICIENT_SCOPE for the remote scoped action without a scope (%s)", async kind => {
		const res = await hit(ENDPOINTS[kind].scoped, valid("read:things"));
		expect(res.status).toBe(403);
		expect(res.headers.get("www-authenticate")).toBe(
			`Bearer realm="api", error="insufficient_scope", error_description="The token lacks a scope this action requires", scope="${REQUIRED_SCOPES.join(" ")}"`
		);
		expect(res.body).toMatchObject({ type: "INSUFFICIENT_SCOPE", data: { reason: "insufficient_scope" } });
	});

	it("answers 200 for the remote scoped action with both scopes, and the claims cross the wire", async () => {
		const res = await hit(ENDPOINTS.explicit.scoped, valid("read:things write:things"));
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ action: "update", user: { sub: `remote-${name}`, iss: issuer.issuer } });
	});

	it("answers 200 for the remote public action without a token", async () => {
		const res = await hit(ENDPOINTS.rest.public);
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ action: "list", hasUser: false, user: null });
	});

	it("answers 200 with user null for the remote optional action without a token", async () => {
		const res = await hit(ENDPOINTS.explicit.optional);
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ action: "feed", hasUser: true, user: null });
	});

	it("answers 401 NO_TOKEN for the remote default action without a token", async () => {
		expectAnswer(await hit(ENDPOINTS.rest.default), NO_TOKEN, "");
	});
});
