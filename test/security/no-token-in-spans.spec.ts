/**
 * No token reaches a trace span, its name, its tags or its logs (docs/CONTRACT.md, "Cluster"): the real
 * gateway with tracing on and every action tag Moleculer can add switched on globally, an
 * exporter that keeps what Jaeger or Zipkin would receive, and tokens sent every way a client
 * or an operator can: the header, the query string, the broker's verify action, a mint.
 */
import { randomUUID } from "node:crypto";
import { parseAppConfig } from "../../services/app-config";
import { createDevIssuerService } from "../../services/dev-issuer.service";
import ProtectedService from "../../services/protected.service";
import { CaptureExporter, exporterOption } from "../support/capture-exporter";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get, startGateway, waitFor, type Gateway } from "../support/gateway";

describe("tokens never reach a trace span", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	const exporter = new CaptureExporter();
	const sent: string[] = [];

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "span-ed");
		const port = await freePort();
		const devIssuer = createDevIssuerService(parseAppConfig({ PORT: String(port) }).devIssuerUrl as string, port);
		gateway = await startGateway(
			{ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0" },
			{
				services: [ProtectedService, devIssuer],
				broker: { tracing: { enabled: true, sampling: { rate: 1 }, exporter: exporterOption(exporter), tags: { action: { params: true, meta: true, response: true } } } }
			}
		);
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	it("sends tokens by header, query string, the verify action and a mint, and finds none of them in any span", async () => {
		const key = issuer.keys[0] as NonNullable<(typeof issuer.keys)[0]>;
		const tokens = [issuer.mint(key), issuer.mint(key, { expiresIn: -60 }), issuer.sign(key, { iss: issuer.issuer, exp: 9999999999 }, { kid: randomUUID() }), `not-a-jwt-${randomUUID()}`];
		sent.push(...tokens);
		for (const token of tokens) await get(`${gateway.url}/api/protected`, bearer(token));
		const valid = tokens[0] as string;
		expect((await get(`${gateway.url}/api/protected?a=1&access_token=${valid}`, bearer(valid))).status).toBe(200);
		for (const token of tokens) await gateway.broker.call("api.verify", { token });
		const minted = await gateway.broker.call<{ token: string }, object>("dev-issuer.mint", { sub: "span" });
		sent.push(minted.token);
		const names = () => exporter.spans.map(span => span.name);
		await waitFor(() => names().includes("action 'dev-issuer.mint'") && names().filter(name => name === "action 'api.verify'").length === tokens.length, 5000);
		// The spans are there and carry tags: the scan below reads real span text.
		expect(names()).toEqual(expect.arrayContaining(["jwt.verify", "GET /api/protected", "action 'protected.get'", "action 'api.verify'", "action 'dev-issuer.mint'"]));
		expect(exporter.spans.find(span => span.name === "action 'protected.get'")?.text).toContain('"sub"');
		const needles = sent.flatMap(token => [token, ...token.split(".").slice(1)]).filter(piece => piece.length >= 16);
		const leaks = exporter.spans.filter(span => needles.some(needle => span.text.includes(needle)));
		expect(leaks.map(span => span.name)).toEqual([]);
	});
});
