/**
 * The development issuer's mint action over a real NATS server: a gateway node can see the
 * issuer's node and its published actions, but minting is refused to it; on the issuer's own
 * node (where the REPL runs, test/integration/repl.spec.ts types it for real) it still works.
 */
import { Errors, ServiceBroker } from "moleculer";
import { parseAppConfig } from "../../services/app-config";
import { createApiService } from "../../services/api.service";
import { createDevIssuerService } from "../../services/dev-issuer.service";
import { freePort } from "../support/gateway";
import { NATS_URL, describeWithNats, uniqueNamespace } from "../support/nats";

jest.setTimeout(60_000);

describeWithNats()("dev-issuer.mint over NATS", () => {
	let issuerNode: ServiceBroker;
	let gatewayNode: ServiceBroker;

	beforeAll(async () => {
		const namespace = uniqueNamespace("mint-local");
		const transporter = { type: "NATS" as const, options: { servers: [NATS_URL] } };
		const port = await freePort();
		const issuerUrl = parseAppConfig({ PORT: String(port) }).devIssuerUrl as string;
		issuerNode = new ServiceBroker({ namespace, nodeID: "issuer", transporter, logger: false });
		issuerNode.createService(createDevIssuerService(issuerUrl, port));
		gatewayNode = new ServiceBroker({ namespace, nodeID: "gateway", transporter, logger: false });
		gatewayNode.createService(createApiService(parseAppConfig({ PORT: "0", JWT_ISSUER: issuerUrl })));
		await Promise.all([issuerNode.start(), gatewayNode.start()]);
		await gatewayNode.waitForServices(["dev-issuer"], 15_000);
	});

	afterAll(async () => {
		await Promise.all([gatewayNode?.stop(), issuerNode?.stop()]);
	});

	it("sees the issuer's published actions from the other node, but cannot mint", async () => {
		const jwks = await gatewayNode.call<{ keys: unknown[] }, object>("dev-issuer.jwks", {}, { nodeID: "issuer" });
		expect(jwks.keys).toHaveLength(2);
		await expect(gatewayNode.call("dev-issuer.mint", { sub: "mallory" })).rejects.toBeInstanceOf(Errors.ServiceNotFoundError);
		await expect(gatewayNode.call("dev-issuer.mint", { sub: "mallory" }, { nodeID: "issuer" })).rejects.toBeInstanceOf(Errors.ServiceNotFoundError);
	});

	it("still mints on its own node", async () => {
		const minted = await issuerNode.call<{ token: string }, object>("dev-issuer.mint", { sub: "alice" });
		expect(minted.token.split(".")).toHaveLength(3);
	});
});
