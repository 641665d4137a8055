/**
 * jwtAuth mixed into a gateway an integrator wrote, as moleculer-web's docs and template write
 * one (`mixins: [ApiGateway, jwtAuth(...)]`): never a silent bypass. A real broker, moleculer-web
 * and a real JWKS server; the package imported by its name.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { jwtAuth, JwtAuthSetupError } from "moleculer-jwks-auth";
import { KeyServer } from "../support/key-server";
import { bearer, get, waitFor } from "../support/gateway";
import { urlOf } from "../support/action-gateway";

const orders: ServiceSchema = {
	name: "orders",
	actions: {
		list: { auth: { scopes: ["orders:read"] }, handler: ctx => ({ orders: [], user: ctx.meta.user }) },
		health: { auth: false, handler: () => ({ ok: true }) },
		mine: { handler: ctx => ({ user: ctx.meta.user }) }
	}
};

function gateway(issuer: string, settings: Record<string, unknown>, extra: Partial<ServiceSchema> = {}): ServiceSchema {
	return { name: "api", mixins: [ApiGateway, jwtAuth({ issuer, verifyThreads: 0 })], settings: { port: 0, ...settings }, ...extra } as ServiceSchema;
}

describe("jwtAuth in an integrator's gateway", () => {
	let issuer: KeyServer;
	const brokers: ServiceBroker[] = [];

	function broker(options: ConstructorParameters<typeof ServiceBroker>[0] = {}): ServiceBroker {
		const created = new ServiceBroker({ logger: false, metrics: false, ...options });
		brokers.push(created);
		return created;
	}

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("RS256", "k1");
	});

	afterEach(async () => {
		await Promise.all(brokers.splice(0).map(created => created.stop().catch(() => undefined)));
	});

	afterAll(async () => {
		await issuer.stop();
	});

	it("refuses to create a gateway whose own methods.authorize would replace jwtAuth's (moleculer-web's template has one)", () => {
		const schema = gateway(issuer.issuer, { routes: [{ path: "/api", authorization: true, aliases: { "GET /orders": "orders.list" } }] }, {
			methods: {
				authorize() {
					return Promise.resolve();
				}
			}
		});
		const create = () => broker().createService(schema);
		expect(create).toThrow(JwtAuthSetupError);
		expect(create).toThrow(/defines its own methods\.authorize.*Remove it/);
	});

	it("refuses two jwtAuth mixins in one gateway", () => {
		const schema = { ...gateway(issuer.issuer, { routes: [] }), mixins: [ApiGateway, jwtAuth({ issuer: issuer.issuer }), jwtAuth({ issuer: "https://other.example.com/" })] } as ServiceSchema;
		expect(() => broker().createService(schema)).toThrow(/mixes in jwtAuth twice; only one of them can be its authorize method/);
	});

	it("refuses a route that names another authorization method", () => {
		const schema = gateway(issuer.issuer, { routes: [{ path: "/api", authorization: "mine", aliases: { "GET /orders": "orders.list" } }] }, { methods: { mine: () => undefined } });
		expect(() => broker().createService(schema)).toThrow(/authorizes with method "mine" instead of jwtAuth's authorize/);
	});

	it("does not start when a route without authorization reaches a local action that requires a token", async () => {
		const node = broker();
		node.createService(gateway(issuer.issuer, { routes: [{ path: "/open", aliases: { "GET /orders": "orders.list", "GET /health": "orders.health" } }] }));
		node.createService(orders);
		await expect(node.start()).rejects.toThrow(/route "\/open" has no authorization: true, but its alias GET \/open\/orders reaches orders\.list, which requires a token/);
	});

	it("starts when that route reaches only public actions, and serves them without a token", async () => {
		const node = broker();
		const api = node.createService(gateway(issuer.issuer, { routes: [{ path: "/open", aliases: { "GET /health": "orders.health" } }] }));
		node.createService(orders);
		await node.start();
		const res = await get(`${urlOf(api)}/open/health`);
		expect([res.status, res.body]).toEqual([200, { ok: true }]);
	});

	it("answers 403 ROUTE_UNPROTECTED at request time for an action on a node that joins after the gateway started", async () => {
		const namespace = `guards-${process.pid}-${Date.now()}`;
		const gw = broker({ nodeID: "gw", namespace, transporter: "Fake" });
		const api = gw.createService(gateway(issuer.issuer, { routes: [{ path: "/open", aliases: { "GET /orders": "orders.list", "GET /mine": "orders.mine", "GET /health": "orders.health" } }] }));
		await gw.start();
		const svc = broker({ nodeID: "svc", namespace, transporter: "Fake" });
		svc.createService(orders);
		await svc.start();
		await gw.waitForServices(["orders"], 5000);
		const token = issuer.mint(undefined, { scope: "orders:read" });
		for (const path of ["/open/orders", "/open/mine"]) {
			const res = await get(`${urlOf(api)}${path}`, bearer(token));
			expect([path, res.status, res.body.type, (res.body.data as { reason?: string }).reason]).toEqual([path, 403, "ROUTE_UNPROTECTED", "route_unprotected"]);
			expect(res.text).not.toContain(token);
		}
		// The public action of the same node goes through.
		expect((await get(`${urlOf(api)}/open/health`)).status).toBe(200);
	});

	it("verifies tokens on an authorized route in the documented order of mixins: 200, 401 NO_TOKEN, 401 INVALID_TOKEN, 403 INSUFFICIENT_SCOPE", async () => {
		const node = broker();
		const api = node.createService(gateway(issuer.issuer, { routes: [{ path: "/api", authorization: true, aliases: { "GET /orders": "orders.list" } }] }));
		node.createService(orders);
		await node.start();
		const url = `${urlOf(api)}/api/orders`;
		await waitFor(async () => (await get(url, bearer(issuer.mint(undefined, { scope: "orders:read" })))).status === 200, 10_000);
		const ok = await get(url, bearer(issuer.mint(undefined, { sub: "ann", scope: "orders:read" })));
		expect([ok.status, (ok.body.user as { sub?: string }).sub]).toEqual([200, "ann"]);
		const none = await get(url);
		expect([none.status, none.body.type, none.headers.get("www-authenticate")]).toEqual([401, "NO_TOKEN", 'Bearer realm="api"']);
		const invalid = await get(url, bearer("not.a.token"));
		expect([invalid.status, invalid.body.type]).toEqual([401, "INVALID_TOKEN"]);
		expect(invalid.headers.get("www-authenticate")).toContain('error="invalid_token"');
		const scope = await get(url, bearer(issuer.mint(undefined, { scope: "other" })));
		expect([scope.status, scope.body.type]).toEqual([403, "INSUFFICIENT_SCOPE"]);
	});
});
