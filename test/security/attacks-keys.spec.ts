/**
 * The second round of the attack battery (issue 16), against the real gateway and a real key
 * server: weak RSA keys, signatures with a byte added or dropped, kids shared with skipped keys,
 * unknown kids during an outage, discovery that comes back, and http key URLs in production.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { CaptureLogger } from "../support/capture-logger";
import { KeyServer } from "../support/key-server";
import { bearer, freePort, get, startGateway, waitFor, type Gateway } from "../support/gateway";
import { b64, claimsFor, expectAnswer, invalid, tokenWithLeadingZero, withSignatureBytes } from "../support/attack-kit";
import { run } from "../support/process";

jest.setTimeout(60_000);

/** EMSA-PKCS1-v1_5 of SHA-256(input) for a `bytes`-long modulus: the "signature" an exponent-1 key accepts. */
function pkcs1Encoding(input: string, bytes: number): Buffer {
	const digestInfo = Buffer.concat([Buffer.from("3031300d060960864801650304020105000420", "hex"), createHash("sha256").update(input).digest()]);
	return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(bytes - digestInfo.length - 3, 0xff), Buffer.from([0]), digestInfo]);
}

describe("attacks on keys and signature spellings", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let rsa: SigningKey;
	let ps: SigningKey;
	let ec: SigningKey;
	let shared: SigningKey;
	const logger = new CaptureLogger();

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		rsa = issuer.addKey("RS256", "rsa-1");
		ps = issuer.addKey("PS256", "ps-1");
		ec = issuer.addKey("ES256", "ec-1");
		shared = issuer.addKey("EdDSA", "shared-kid");
		issuer.rawKeys = [
			{ ...rsa.jwk, kid: "exponent-1", alg: "RS256", e: "AQ" },
			{ ...rsa.jwk, kid: "shared-kid", use: "enc", alg: undefined }
		];
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWT_ALGORITHMS: "RS256,PS256,ES256,EdDSA", JWKS_COOLDOWN: "600000" }, { broker: { logger } });
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	const call = (token: string) => get(`${gateway.url}/api/protected`, bearer(token));
	const claims = () => claimsFor(issuer.issuer);

	it("refuses a token forged for an RSA key with exponent 1 (the padded digest as signature), and warns naming the key", async () => {
		const input = `${b64({ alg: "RS256", typ: "JWT", kid: "exponent-1" })}.${b64(claims())}`;
		const forged = pkcs1Encoding(input, 256);
		// The forgery is real: node:crypto accepts it under the exponent-1 key.
		const weak = createPublicKey({ key: { ...rsa.jwk, e: "AQ" } as import("node:crypto").JsonWebKey, format: "jwk" });
		expect(verify("sha256", Buffer.from(input), weak, forged)).toBe(true);
		const token = `${input}.${forged.toString("base64url")}`;
		expectAnswer(await call(token), invalid("unknown_key"), token);
		expect(logger.text).toMatch(/skipped kid "exponent-1": RSA exponent 1 is under 3/);
	});

	it.each([
		["RS256", () => rsa],
		["PS256", () => ps]
	])("refuses a %s token whose signature has its leading zero byte dropped or one more added", async (_alg, key) => {
		const token = tokenWithLeadingZero(key(), claims);
		expect((await call(token)).status).toBe(200);
		for (const change of [(bytes: Buffer) => bytes.subarray(1), (bytes: Buffer) => Buffer.concat([Buffer.alloc(1), bytes])]) {
			const respelled = withSignatureBytes(token, change);
			expectAnswer(await call(respelled), invalid("bad_signature"), respelled);
		}
	});

	it("refuses an ES256 signature with a zero byte added, and accepts ECDSA's own (r, n-s) twin", async () => {
		const token = issuer.sign(ec, claims());
		const longer = withSignatureBytes(token, bytes => Buffer.concat([bytes, Buffer.alloc(1)]));
		expectAnswer(await call(longer), invalid("bad_signature"), longer);
		const n = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
		const twin = withSignatureBytes(token, bytes => {
			const s = BigInt(`0x${bytes.subarray(32).toString("hex")}`);
			return Buffer.concat([bytes.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, "0"), "hex")]);
		});
		expect((await call(twin)).status).toBe(200);
	});

	it("keeps a signing key whose kid an encryption key shares", async () => {
		expect((await call(issuer.sign(shared, claims()))).status).toBe(200);
	});
});

describe("outages and discovery", () => {
	let issuer: KeyServer;
	let gateway: Gateway | undefined;

	afterEach(async () => {
		await gateway?.stop();
		gateway = undefined;
		await issuer.stop();
	});

	it("answers every unknown kid 503 with Retry-After while the last fetch failed, inside the cooldown, and 401 once a fetch succeeds", async () => {
		issuer = await new KeyServer().start();
		const key = issuer.addKey("EdDSA", "known");
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "600000", JWKS_TIMEOUT: "300" });
		const madeUp = () => issuer.sign(key, { iss: issuer.issuer, exp: 9999999999 }, { kid: `made-up-${Math.random()}` });
		issuer.mode = "down";
		await gateway.broker.call("api.refreshKeys");
		const answers = await Promise.all(Array.from({ length: 40 }, () => get(`${gateway?.url}/api/protected`, bearer(madeUp()))));
		expect(new Set(answers.map(a => `${a.status} ${a.body.type} ${/^\d+$/.test(a.headers.get("retry-after") ?? "")}`))).toEqual(new Set(["503 JWKS_UNAVAILABLE true"]));
		expect((await get(`${gateway.url}/api/protected`, bearer(issuer.mint(key)))).status).toBe(200);
		issuer.mode = "up";
		await gateway.broker.call("api.refreshKeys");
		const after = await get(`${gateway.url}/api/protected`, bearer(madeUp()));
		expect([after.status, (after.body.data as { reason: string }).reason]).toEqual([401, "unknown_key"]);
	});

	it("becomes ready within seconds when discovery that answered 404 at start comes back", async () => {
		issuer = await new KeyServer({ discovery: false }).start();
		issuer.jwksName = "keys.json";
		const key = issuer.addKey("EdDSA", "later");
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer }, { waitReady: false });
		await waitFor(() => issuer.requests >= 2, 3000);
		expect((await get(`${gateway.url}/health/ready`)).status).toBe(503);
		issuer.discovery = true;
		await waitFor(async () => (await get(`${gateway?.url}/health/ready`)).status === 200, 8000, 100);
		expect((await get(`${gateway.url}/api/protected`, bearer(issuer.mint(key)))).status).toBe(200);
	});
});

describe("http key URLs in production", () => {
	it("stops the built gateway at start with one line naming a plain-http JWT_ISSUER", async () => {
		const runner = ["node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"];
		const app = run("node", runner, { NODE_ENV: "production", SERVICEDIR: "dist/services", PORT: String(await freePort()), METRICS: "false", JWT_ISSUER: "http://auth.example.com/" });
		expect(await app.wait()).not.toBe(0);
		expect(app.text).toMatch(/Configuration error: JWT_ISSUER: "http:\/\/auth\.example\.com\/" is not https/);
	});
});
