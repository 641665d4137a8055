/**
 * The attack checklist's claim cases (jwt-verifiers-and-attacks.md §c 14-17) against the real
 * gateway over HTTP: time claims, issuer, audience, token type and maximum age. Every token here
 * is correctly signed by the issuer's key, so only the claim rules can reject it.
 */
import type { SigningKey } from "../../lib/dev-issuer/signer";
import type { Env } from "../../lib/auth/policy/config";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, type Gateway } from "../support/gateway";
import { claimsFor, expectAnswer, FAR_FUTURE, invalid, nowSeconds } from "../support/attack-kit";

const ALGORITHMS = "RS256,PS256,ES256,EdDSA";

let issuer: KeyServer;
let ed: SigningKey;

beforeAll(async () => {
	issuer = await new KeyServer().start();
	ed = issuer.addKey("EdDSA", "ed-1");
	issuer.addKey("RS256", "rsa-1");
});

afterAll(async () => {
	await issuer.stop();
});

/** One gateway per describe block, with extra configuration. */
function gatewayWith(extra: Env): { call(token: string): ReturnType<typeof get> } {
	let gateway: Gateway;
	beforeAll(async () => {
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWT_ALGORITHMS: ALGORITHMS, ...extra });
	});
	afterAll(async () => {
		await gateway.stop();
	});
	return { call: (token: string) => get(`${gateway.url}/api/protected`, bearer(token)) };
}

const claims = (extra: Record<string, unknown> = {}) => claimsFor(issuer.issuer, extra);

describe("time claims", () => {
	const gw = gatewayWith({});

	it.each([
		["expired a minute ago", { exp: nowSeconds() - 60 }, "expired"],
		["with nbf in the future", { nbf: nowSeconds() + 600 }, "not_yet_valid"],
		["with iat in the future", { iat: nowSeconds() + 600 }, "issued_in_future"],
		["without exp", { exp: undefined }, "missing_claim"],
		["with exp as a string", { exp: String(FAR_FUTURE) }, "invalid_claim"],
		["with nbf as a string", { nbf: "0" }, "invalid_claim"],
		["with iat as null", { iat: null }, "invalid_claim"]
	])("rejects a token %s", async (_name, extra, reason) => {
		const token = issuer.sign(ed, claims(extra));
		expectAnswer(await gw.call(token), invalid(reason), token);
	});

	it("rejects exp 1e400 (parsed as Infinity) as invalid_claim", async () => {
		const payload = `{"iss":${JSON.stringify(issuer.issuer)},"sub":"mallory","exp":1e400}`;
		const token = issuer.sign(ed, payload);
		expectAnswer(await gw.call(token), invalid("invalid_claim"), token);
	});

	it("rejects exp -1e400 and a huge exponent in nbf alike", async () => {
		for (const payload of [`{"iss":${JSON.stringify(issuer.issuer)},"exp":-1e400}`, `{"iss":${JSON.stringify(issuer.issuer)},"exp":${FAR_FUTURE},"nbf":1e999}`]) {
			const token = issuer.sign(ed, payload);
			expectAnswer(await gw.call(token), invalid("invalid_claim"), token);
		}
	});

	it("accepts a token that expired within the clock tolerance", async () => {
		expect((await gw.call(issuer.sign(ed, claims({ exp: nowSeconds() - 2 })))).status).toBe(200);
	});

	describe("issuer", () => {
		it.each([
			["an array", (iss: string) => [iss], "invalid_claim"],
			["an object", (iss: string) => ({ url: iss }), "invalid_claim"],
			["missing", () => undefined, "missing_claim"],
			["another issuer", () => "https://evil.example.com/issuer", "issuer_mismatch"],
			["the issuer with an extra trailing slash", (iss: string) => `${iss}/`, "issuer_mismatch"],
			["the issuer in upper case", (iss: string) => iss.toUpperCase(), "issuer_mismatch"],
			["a prefix of the issuer", (iss: string) => iss.slice(0, -1), "issuer_mismatch"]
		])("rejects iss as %s", async (_name, iss, reason) => {
			const token = issuer.sign(ed, claims({ iss: iss(issuer.issuer) }));
			expectAnswer(await gw.call(token), invalid(reason), token);
		});
	});
});

describe("audience (JWT_AUDIENCE=api://things)", () => {
	const gw = gatewayWith({ JWT_AUDIENCE: "api://things" });

	it.each([
		["missing", { aud: undefined }, "missing_claim"],
		["another API", { aud: "api://other" }, "audience_mismatch"],
		["an array without it", { aud: ["api://other", "api://thing"] }, "audience_mismatch"],
		["a number", { aud: 42 }, "invalid_claim"],
		["an array with a number", { aud: ["api://things", 42] }, "invalid_claim"]
	])("rejects aud as %s", async (_name, extra, reason) => {
		const token = issuer.sign(ed, claims(extra));
		expectAnswer(await gw.call(token), invalid(reason), token);
	});

	it.each([
		["the string", "api://things"],
		["an array containing it", ["api://other", "api://things"]]
	])("accepts aud as %s", async (_name, aud) => {
		expect((await gw.call(issuer.sign(ed, claims({ aud })))).status).toBe(200);
	});
});

describe("token type (JWT_TYPE=at+jwt)", () => {
	const gw = gatewayWith({ JWT_TYPE: "at+jwt" });

	it.each([
		["typ JWT (an ID token or other JWT)", { typ: "JWT" }],
		["no typ", { typ: undefined }]
	])("rejects %s as type_mismatch", async (_name, header) => {
		const token = issuer.sign(ed, claims(), header);
		expectAnswer(await gw.call(token), invalid("type_mismatch"), token);
	});

	it.each(["at+jwt", "application/at+jwt", "AT+JWT"])("accepts typ %s", async typ => {
		expect((await gw.call(issuer.sign(ed, claims(), { typ })))).toMatchObject({ status: 200 });
	});
});

describe("maximum token age (JWT_MAX_TOKEN_AGE=60)", () => {
	const gw = gatewayWith({ JWT_MAX_TOKEN_AGE: "60" });

	it("rejects a token issued 120 s ago as too_old", async () => {
		const token = issuer.sign(ed, claims({ iat: nowSeconds() - 120 }));
		expectAnswer(await gw.call(token), invalid("too_old"), token);
	});

	it("rejects a token without iat as missing_claim", async () => {
		const token = issuer.sign(ed, claims({ iat: undefined }));
		expectAnswer(await gw.call(token), invalid("missing_claim"), token);
	});

	it("accepts a token issued 30 s ago", async () => {
		expect((await gw.call(issuer.sign(ed, claims({ iat: nowSeconds() - 30 })))).status).toBe(200);
	});
});
