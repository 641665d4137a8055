/**
 * The header a connection last had verified, over real keep-alive HTTP: one socket carries
 * every request below (asserted), so each answer after the first comes from the memo's path,
 * and the memo must still let a removed key, an expired token or another token through to the
 * full rules.
 */
import { Agent, request } from "node:http";
import { KeyServer } from "../support/key-server";
import { startGateway, type Gateway } from "../support/gateway";

jest.setTimeout(30_000);

interface Answer {
	readonly status: number;
	readonly reason: string | undefined;
	readonly sub: string | undefined;
	readonly reusedSocket: boolean;
}

/** A GET on the agent's one socket. */
function getOn(agent: Agent, url: string, authorization: string): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const req = request(url, { agent, headers: { authorization } }, res => {
			let text = "";
			res.setEncoding("utf8");
			res.on("data", (chunk: string) => (text += chunk));
			res.on("end", () => {
				const body = JSON.parse(text) as { data?: { reason?: string }; user?: { sub?: string } };
				resolve({ status: res.statusCode ?? 0, reason: body.data?.reason, sub: body.user?.sub, reusedSocket: req.reusedSocket });
			});
		});
		req.on("error", reject);
		req.end();
	});
}

describe("the connection memo over keep-alive HTTP", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let agent: Agent;
	let url: string;

	beforeEach(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "a");
		issuer.addKey("RS256", "b");
		// No clock tolerance, so a token minted to expire in 2 s is expired 2.1 s later.
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0", JWT_CLOCK_TOLERANCE: "0" });
		agent = new Agent({ keepAlive: true, maxSockets: 1 });
		url = `${gateway.url}/api/protected`;
	});

	afterEach(async () => {
		agent.destroy();
		await gateway.stop();
		await issuer.stop();
	});

	it("serves the same header again on the same socket, and another token as itself", async () => {
		const alice = `Bearer ${issuer.mint(issuer.keys[0], { sub: "alice" })}`;
		const bob = `Bearer ${issuer.mint(issuer.keys[0], { sub: "bob" })}`;
		const answers = [await getOn(agent, url, alice), await getOn(agent, url, alice), await getOn(agent, url, bob), await getOn(agent, url, alice)];
		expect(answers.map(a => [a.status, a.sub])).toEqual([
			[200, "alice"],
			[200, "alice"],
			[200, "bob"],
			[200, "alice"]
		]);
		expect(answers.slice(1).every(a => a.reusedSocket)).toBe(true);
	});

	it("refuses a remembered header on the same socket once its key leaves the key set", async () => {
		const token = `Bearer ${issuer.mint(issuer.keys[1])}`;
		expect((await getOn(agent, url, token)).status).toBe(200);
		expect((await getOn(agent, url, token)).status).toBe(200);
		issuer.removeKey("b");
		await gateway.broker.call("api.refreshKeys");
		const after = await getOn(agent, url, token);
		expect([after.status, after.reason, after.reusedSocket]).toEqual([401, "unknown_key", true]);
	});

	it("refuses a remembered header on the same socket once the token expires", async () => {
		const token = `Bearer ${issuer.mint(issuer.keys[0], { expiresIn: 2 })}`;
		expect((await getOn(agent, url, token)).status).toBe(200);
		expect((await getOn(agent, url, token)).status).toBe(200);
		await new Promise(resolve => setTimeout(resolve, 2100));
		const after = await getOn(agent, url, token);
		expect([after.status, after.reason, after.reusedSocket]).toEqual([401, "expired", true]);
	});
});
