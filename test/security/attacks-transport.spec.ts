/**
 * The attack checklist's structure, size and transport cases (jwt-verifiers-and-attacks.md §c
 * 18-20) against the real gateway over HTTP. Where a token can be signed, it is signed by the
 * issuer's own key, so only the structure rules can reject it.
 */
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, type Gateway } from "../support/gateway";
import { b64, claimsFor, expectAnswer, invalid, NO_TOKEN, signSegments } from "../support/attack-kit";

let issuer: KeyServer;
let gateway: Gateway;
let ed: SigningKey;
let rsa: SigningKey;

beforeAll(async () => {
	issuer = await new KeyServer().start();
	ed = issuer.addKey("EdDSA", "ed-1");
	rsa = issuer.addKey("RS256", "rsa-1");
	issuer.addKey("ES256", "ec-1");
	issuer.addKey("PS256", "ps-1");
	gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWT_ALGORITHMS: "RS256,PS256,ES256,EdDSA" });
});

afterAll(async () => {
	await gateway.stop();
	await issuer.stop();
});

const url = () => `${gateway.url}/api/protected`;
const call = (token: string) => get(url(), bearer(token));
const claims = () => claimsFor(issuer.issuer);
const header = () => b64({ alg: "EdDSA", typ: "JWT", kid: ed.kid });

/** Standard base64 (with + or /, never base64url) of a JSON value. */
function standardBase64(value: unknown): string {
	const text = Buffer.from(JSON.stringify(value)).toString("base64").replace(/=+$/, "");
	if (!/[+/]/.test(text)) throw new Error("pick another value: its base64 has no + or /");
	return text;
}

describe("structure games", () => {
	it.each([
		["JWE-like, five parts", () => `${issuer.sign(ed, claims())}.${b64("iv")}.${b64("tag")}`],
		["two parts", () => issuer.sign(ed, claims()).split(".").slice(0, 2).join(".")],
		["four parts", () => `${issuer.sign(ed, claims())}.${b64("extra")}`],
		["an empty payload part", () => `${header()}..${issuer.sign(ed, claims()).split(".")[2]}`],
		["an empty header part", () => `.${b64(claims())}.${issuer.sign(ed, claims()).split(".")[2]}`],
		[
			"the JWS JSON serialization",
			() => {
				const [protectedHeader, payload, signature] = issuer.sign(ed, claims()).split(".");
				return JSON.stringify({ payload, protected: protectedHeader, signature });
			}
		],
		["padding = on the header", () => signSegments(ed, `${header()}=`, b64(claims()))],
		["padding = on the signature", () => `${issuer.sign(rsa, claims())}==`],
		["standard base64 (+ and /) in the payload", () => signSegments(ed, header(), standardBase64({ ...claims(), pad: "\u00fb\u00ff\u00fe?>?>" }))],
		["a header that is a JSON array", () => signSegments(ed, b64([{ alg: "EdDSA", kid: ed.kid }]), b64(claims()))],
		["a header that is a JSON string", () => signSegments(ed, b64('"EdDSA"'), b64(claims()))],
		["a header without alg", () => signSegments(ed, b64({ typ: "JWT", kid: ed.kid }), b64(claims()))],
		["a header whose alg is not a string", () => signSegments(ed, b64({ alg: ["EdDSA"], kid: ed.kid }), b64(claims()))],
		["a header that is not JSON", () => signSegments(ed, b64("{alg:EdDSA}"), b64(claims()))],
		["a payload that is null", () => signSegments(ed, header(), b64("null"))],
		["a payload that is a JSON array", () => signSegments(ed, header(), b64([claims()]))],
		["a payload that is a number", () => signSegments(ed, header(), b64("4102444800"))],
		["a payload that is invalid UTF-8", () => signSegments(ed, header(), b64(Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1)), Buffer.from(',"x":"\xff\xfe"}', "latin1")])))],
		["a payload with a lone surrogate as UTF-8 bytes", () => signSegments(ed, header(), b64(Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])))],
		["a typ that is not a string", () => issuer.sign(ed, claims(), { typ: 1 })]
	])("rejects %s as malformed", async (_name, token) => {
		const value = token();
		expectAnswer(await call(value), invalid("malformed"), value);
	});
});

describe("size", () => {
	/** A token signed by the issuer, padded with a claim to at most `length` characters. */
	function signedOfLength(length: number): string {
		for (let pad = Math.floor((length * 3) / 4); pad > 0; pad--) {
			const token = issuer.sign(ed, { ...claims(), pad: "p".repeat(pad) });
			if (token.length <= length) return token;
		}
		throw new Error("unreachable");
	}

	it("accepts a signed token of just under 8 KiB", async () => {
		const token = signedOfLength(8192);
		expect(token.length).toBeGreaterThan(8185);
		expect((await call(token)).status).toBe(200);
	});

	it("rejects a token of 8193 bytes as token_too_large", async () => {
		const token = "a".repeat(8193);
		expectAnswer(await call(token), invalid("token_too_large"), token);
	});

	it("rejects a signed token over 8 KiB as token_too_large", async () => {
		const token = issuer.sign(ed, { ...claims(), pad: "p".repeat(6200) });
		expect(token.length).toBeGreaterThan(8192);
		expectAnswer(await call(token), invalid("token_too_large"), token);
	});

	it("answers a 20 KiB Authorization header with Node's 431 or a 401, never another error", async () => {
		const token = issuer.sign(ed, { ...claims(), pad: "p".repeat(15_000) });
		const res = await call(token);
		expect([401, 431]).toContain(res.status);
		if (res.status === 401) expectAnswer(res, invalid("token_too_large"), token);
		expect((await get(`${gateway.url}/health/live`)).status).toBe(200);
	});
});

describe("transport and scheme", () => {
	it("ignores a token in the query string (NO_TOKEN)", async () => {
		const token = issuer.mint(ed);
		const res = await get(`${url()}?access_token=${token}`);
		expectAnswer(res, NO_TOKEN, token);
	});

	it.each([
		["Basic", () => `Basic ${Buffer.from("alice:secret").toString("base64")}`],
		["Token x", () => "Token x"],
		["Bearerx", () => "Bearerx"],
		["Bearer<token> without a space", () => `Bearer${issuer.mint(ed)}`],
		["Bearer alone", () => "Bearer"],
		["Bearer and spaces", () => "Bearer    "]
	])("answers NO_TOKEN for the Authorization header %s", async (_name, value) => {
		const authorization = value();
		const res = await get(url(), { Authorization: authorization });
		expectAnswer(res, NO_TOKEN, authorization);
	});

	it("accepts the lower-case scheme `bearer <valid>`", async () => {
		const res = await get(url(), { Authorization: `bearer ${issuer.mint(ed)}` });
		expect(res.status).toBe(200);
	});

	it("rejects `Bearer a b` as malformed", async () => {
		expectAnswer(await get(url(), { Authorization: "Bearer a b" }), invalid("malformed"), "a b");
	});

	it("rejects a valid token followed by a second credential as malformed", async () => {
		const token = issuer.mint(ed);
		expectAnswer(await get(url(), { Authorization: `Bearer ${token} ${token}` }), invalid("malformed"), token);
	});
});
