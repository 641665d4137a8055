/**
 * RFC 9728 protected resource metadata and the access listing on a real gateway: served without
 * a token, built from PUBLIC_URL, the trusted issuers and the routed actions' declarations, and
 * named by every 401 challenge.
 */
import { ServiceBroker, type Service } from "moleculer";
import { parseAuthConfig } from "../../lib/auth/policy/env";
import type { AccessEntry } from "../../mixins/access-catalog.mixin";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, waitFor, type Gateway } from "../support/gateway";
import { gatewaySchema, ThingsService, urlOf } from "../support/action-gateway";

const METADATA_PATH = "/.well-known/oauth-protected-resource";
const PUBLIC_URL = "https://things.example.com";

let issuer: KeyServer;
let second: KeyServer;

beforeAll(async () => {
	issuer = await new KeyServer().start();
	second = await new KeyServer({ issuerPath: "/second" }).start();
	issuer.addKey("EdDSA", "ed-1");
	second.addKey("EdDSA", "ed-2");
});

afterAll(async () => {
	await Promise.all([issuer.stop(), second.stop()]);
});

describe("the api service", () => {
	let gateway: Gateway;

	beforeAll(async () => {
		gateway = await startGateway({ JWT_ISSUER: `${issuer.issuer},${second.issuer}`, PUBLIC_URL: `${PUBLIC_URL}/` });
	});

	afterAll(async () => {
		await gateway.stop();
	});

	it("serves the metadata without a token, and with a bad one", async () => {
		for (const headers of [{}, bearer("not-a-token")]) {
			const res = await get(`${gateway.url}${METADATA_PATH}`, headers);
			expect(res.status).toBe(200);
			expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
			expect(res.body).toEqual({
				resource: PUBLIC_URL,
				authorization_servers: [issuer.issuer, second.issuer],
				bearer_methods_supported: ["header"],
				scopes_supported: []
			});
		}
	});

	it("names it in the 401 challenge, with and without a token", async () => {
		const expected = `resource_metadata="${PUBLIC_URL}${METADATA_PATH}"`;
		expect((await get(`${gateway.url}/api/protected`)).headers.get("www-authenticate")).toBe(`Bearer realm="api", ${expected}`);
		expect((await get(`${gateway.url}/api/protected`, bearer("x.y.z"))).headers.get("www-authenticate")).toMatch(new RegExp(`error="invalid_token", .*, ${expected}$`));
	});

	it("is reachable under GET only", async () => {
		const res = await fetch(`${gateway.url}${METADATA_PATH}`, { method: "POST" });
		expect(res.status).toBe(404);
	});
});

describe("a gateway routing scoped actions", () => {
	let broker: ServiceBroker;
	let gw: Service;
	let url = "";

	beforeAll(async () => {
		broker = new ServiceBroker({ logger: false, metrics: false, nodeID: "gw-local" });
		gw = broker.createService(gatewaySchema(parseAuthConfig({ PORT: "0", JWT_ISSUER: issuer.issuer })));
		broker.createService(ThingsService);
		// Declares scopes but no gateway route leads to it: it is not the API's to advertise.
		broker.createService({ name: "hidden", actions: { peek: { auth: { scopes: ["hidden:peek"] }, handler: () => "x" } } });
		await broker.start();
		url = urlOf(gw);
	});

	afterAll(async () => {
		await broker.stop();
	});

	it("publishes the scopes of routed actions only, and the default PUBLIC_URL", async () => {
		const res = await get(`${url}${METADATA_PATH}`);
		expect(res.body).toEqual({
			resource: "http://localhost:0",
			authorization_servers: [issuer.issuer],
			bearer_methods_supported: ["header"],
			scopes_supported: ["read:things", "write:things"]
		});
	});

	it("lists every routed alias with its action, node and compiled requirement (api.listAccess)", async () => {
		const listing: AccessEntry[] = await broker.call("gw.listAccess");
		expect(listing).toEqual(
			expect.arrayContaining([
				{ method: "GET", path: "/explicit/list", action: "things.list", nodes: ["gw-local"], requirement: "public" },
				{ method: "GET", path: "/explicit/feed", action: "things.feed", nodes: ["gw-local"], requirement: "optional token (a bad one is refused)" },
				{ method: "GET", path: "/explicit/get", action: "things.get", nodes: ["gw-local"], requirement: "a valid token" },
				{ method: "PUT", path: "/rest/things/:id", action: "things.update", nodes: ["gw-local"], requirement: "a valid token with scopes all of [write:things read:things]" },
				{ method: "GET", path: "/custom/fn", action: null, nodes: ["gw-local"], requirement: "a valid token" },
				{ method: "GET", path: METADATA_PATH, action: null, nodes: ["gw-local"], requirement: "public (route without authorization)" }
			])
		);
		expect(listing.map(entry => entry.action)).not.toContain("hidden.peek");
	});

	it("cannot be reached over HTTP", async () => {
		for (const path of ["/explicit/gw/listAccess", "/rest/gw/listAccess", "/gw/listAccess"]) expect((await get(`${url}${path}`)).status).toBe(404);
	});
});

describe("a routed service that starts after the gateway", () => {
	let broker: ServiceBroker;
	let url = "";

	beforeAll(async () => {
		broker = new ServiceBroker({ logger: false, metrics: false });
		const gw = broker.createService(gatewaySchema(parseAuthConfig({ PORT: "0", JWT_ISSUER: issuer.issuer })));
		await broker.start();
		url = urlOf(gw);
	});

	afterAll(async () => {
		await broker.stop();
	});

	it("adds its scopes to the metadata when it joins, and the listing shows no node before", async () => {
		const before = await get(`${url}${METADATA_PATH}`);
		expect(before.body.scopes_supported).toEqual([]);
		const listing: AccessEntry[] = await broker.call("gw.listAccess");
		expect(listing).toContainEqual({ method: "PUT", path: "/explicit/update", action: "things.update", nodes: [], requirement: "no node serves it" });
		broker.createService(ThingsService);
		await broker.waitForServices(["things"]);
		await waitFor(async () => ((await get(`${url}${METADATA_PATH}`)).body.scopes_supported as string[]).length > 0);
		expect((await get(`${url}${METADATA_PATH}`)).body.scopes_supported).toEqual(["read:things", "write:things"]);
	});
});
