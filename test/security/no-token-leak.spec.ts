/**
 * No token in any log line, error body or header: a battery of good and hostile requests
 * against the real gateway with logging at debug, then every response and every captured
 * log line is scanned for the tokens sent (whole, and each of their parts).
 */
import { randomUUID } from "node:crypto";
import { CaptureLogger } from "../support/capture-logger";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, type Gateway, type HttpAnswer } from "../support/gateway";

jest.setTimeout(60_000);

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

describe("tokens never leak", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	const logger = new CaptureLogger("debug");
	const sent: string[] = [];
	const answers: HttpAnswer[] = [];

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "leak-ed");
		issuer.addKey("RS256", "leak-rs");
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0", JWKS_TIMEOUT: "300" }, { broker: { logger, logLevel: "debug" } });
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	function battery(): string[] {
		const [ed, rs] = issuer.keys as [NonNullable<(typeof issuer.keys)[0]>, NonNullable<(typeof issuer.keys)[0]>];
		const valid = issuer.mint(ed, { sub: "leak" });
		const [h, p, sig] = valid.split(".") as [string, string, string];
		return [
			valid,
			issuer.mint(rs, { scope: "read:things" }),
			issuer.mint(ed, { expiresIn: -60 }),
			`${h}.${b64({ iss: issuer.issuer, sub: "admin", exp: 9999999999 })}.${sig}`,
			issuer.sign(ed, { iss: issuer.issuer, exp: 9999999999 }, { kid: randomUUID() }),
			issuer.sign(ed, { iss: "https://evil.example.com/", exp: 9999999999 }),
			`${b64({ alg: "none" })}.${p}.`,
			`${b64({ alg: "none" })}.${p}.${sig}`,
			`${b64({ alg: "HS256", kid: "leak-rs" })}.${p}.${sig}`,
			issuer.sign(ed, { iss: issuer.issuer, exp: 9999999999 }, { jku: "https://evil.example.com/jwks", kid: "leak-ed" }),
			issuer.sign(ed, { iss: issuer.issuer, exp: "later" }),
			`${valid}${"A".repeat(9000)}`,
			`secret-looking-${randomUUID()}-not-a-jwt`,
			`${h}.${p}`,
			`${h}.${p}.${sig}.extra.part`
		];
	}

	async function send(token: string, headers: Record<string, string> = {}): Promise<void> {
		sent.push(token);
		answers.push(await get(`${gateway.url}/api/protected`, { ...bearer(token), ...headers }));
	}

	it("runs the battery with the issuer up, down, and through the broker actions", async () => {
		for (const token of battery()) await send(token, { "X-Request-ID": `leak-${answers.length}` });
		for (const token of battery().slice(0, 3)) {
			sent.push(token);
			answers.push(await get(`${gateway.url}/api/protected?access_token=${token}`));
		}
		issuer.mode = "down";
		await gateway.broker.call("api.refreshKeys");
		for (const token of battery().slice(0, 6)) await send(token);
		issuer.mode = "up";
		for (const token of battery().slice(0, 6)) {
			sent.push(token);
			await gateway.broker.call("api.verify", { token });
		}
		expect(answers.map(a => a.status)).toContain(200);
		expect(answers.map(a => a.status)).toContain(401);
		expect(answers.map(a => a.status)).toContain(503);
		expect(logger.lines.length).toBeGreaterThan(20);
	});

	it("finds no token, and no part of one, in any response body, header or log line", () => {
		const needles = new Set<string>();
		for (const token of sent) {
			needles.add(token.slice(0, 200));
			for (const part of token.split(".")) if (part.length >= 16) needles.add(part.slice(0, 200));
		}
		// Parts every request shares (e.g. a header like {"alg":"EdDSA",...}) are not secrets,
		// but payloads and signatures are: keep only parts unique to a token.
		const headers = new Set(sent.map(token => token.split(".")[0]));
		const secrets = [...needles].filter(needle => !headers.has(needle));
		const haystacks = [...answers.map(a => `${a.text}\n${JSON.stringify([...a.headers])}`), logger.text];
		const leaks = secrets.filter(secret => haystacks.some(hay => hay.includes(secret)));
		expect(secrets.length).toBeGreaterThan(sent.length);
		// The scan does see what was sent around the tokens: request ids reach logs and headers.
		expect(logger.text).toContain("leak-3");
		expect(haystacks.some(hay => hay.includes("leak-3"))).toBe(true);
		expect(leaks).toEqual([]);
	});
});
