import { randomBytes } from "node:crypto";
import { generateSigningKey, signJwt } from "../../../lib/dev-issuer/signer";
import { KnownHeaders, MAX_TOKEN_LENGTH, parseToken } from "../../../lib/auth/jws/token";

const key = generateSigningKey("EdDSA", "k1");
const valid = signJwt(key, { iss: "https://issuer", exp: 2e9 });
const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const [, payloadPart, signaturePart] = valid.split(".") as [string, string, string];

function reasonOf(token: string): string {
	const parsed = parseToken(token);
	return parsed.ok ? "ok" : `${parsed.reason}`;
}

describe("parseToken", () => {
	it("parses a compact JWS", () => {
		const parsed = parseToken(valid);
		expect(parsed.ok).toBe(true);
		if (!parsed.ok) return;
		expect(parsed.header).toEqual({ alg: "EdDSA", typ: "JWT", kid: "k1" });
		expect(parsed.payload).toEqual({ iss: "https://issuer", exp: 2e9 });
		expect(parsed.signatureBytes).toBe(64);
		expect(Buffer.from(parsed.signature, "base64url")).toHaveLength(64);
	});

	it.each([
		["two parts", `${b64({ alg: "EdDSA" })}.${payloadPart}`, "malformed"],
		["five parts (JWE)", `${valid}.a.b`, "malformed"],
		["empty signature", `${b64({ alg: "EdDSA" })}.${payloadPart}.`, "malformed"],
		["padding", `${valid}=`, "malformed"],
		["standard base64", `${b64({ alg: "EdDSA" })}.${payloadPart}.${signaturePart}+/`, "malformed"],
		["header not JSON", `${b64("nope")}.${payloadPart}.${signaturePart}`, "malformed"],
		["header an array", `${b64([1])}.${payloadPart}.${signaturePart}`, "malformed"],
		["payload not JSON", `${b64({ alg: "EdDSA" })}.${b64("{")}.${signaturePart}`, "malformed"],
		["payload null", `${b64({ alg: "EdDSA" })}.${b64("null")}.${signaturePart}`, "malformed"],
		["no alg", `${b64({ typ: "JWT" })}.${payloadPart}.${signaturePart}`, "malformed"],
		["numeric kid", `${b64({ alg: "EdDSA", kid: 7 })}.${payloadPart}.${signaturePart}`, "malformed"],
		["huge kid", `${b64({ alg: "EdDSA", kid: "k".repeat(300) })}.${payloadPart}.${signaturePart}`, "malformed"],
		["invalid UTF-8", `${Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString("base64url")}.${payloadPart}.${signaturePart}`, "malformed"],
		["crit", `${b64({ alg: "EdDSA", crit: ["exp"] })}.${payloadPart}.${signaturePart}`, "unsupported_header"],
		["b64 false", `${b64({ alg: "EdDSA", b64: false })}.${payloadPart}.${signaturePart}`, "unsupported_header"],
		["embedded jwk", `${b64({ alg: "EdDSA", jwk: key.jwk })}.${payloadPart}.${signaturePart}`, "unsupported_header"],
		["jku", `${b64({ alg: "EdDSA", jku: "https://evil/jwks" })}.${payloadPart}.${signaturePart}`, "unsupported_header"],
		["x5u", `${b64({ alg: "EdDSA", x5u: "https://evil/cert" })}.${payloadPart}.${signaturePart}`, "unsupported_header"],
		["x5c", `${b64({ alg: "EdDSA", x5c: ["MII"] })}.${payloadPart}.${signaturePart}`, "unsupported_header"],
		["over 8 KiB", `${valid}${"A".repeat(MAX_TOKEN_LENGTH)}`, "token_too_large"]
	])("rejects %s", (_name, token, reason) => {
		expect(reasonOf(token)).toBe(reason);
	});

	it("accepts only the canonical spelling of the signature", () => {
		// Ed25519 signatures are 64 bytes: 86 base64url characters with 4 spare bits in the last.
		const last = signaturePart.at(-1) as string;
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string;
		const respelled = `${valid.slice(0, -1)}${sibling}`;
		expect(Buffer.from(respelled.split(".")[2] as string, "base64url")).toEqual(Buffer.from(signaturePart, "base64url"));
		expect(reasonOf(respelled)).toBe("malformed");
	});

	it("decides canonical signatures exactly as decoding and encoding again would, for every length and last character", () => {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const head = `${b64({ alg: "EdDSA" })}.${payloadPart}`;
		let accepted = 0;
		for (let bytes = 1; bytes <= 70; bytes++) {
			const spelled = randomBytes(bytes).toString("base64url");
			for (const last of alphabet) {
				const sig = `${spelled.slice(0, -1)}${last}`;
				const reference = Buffer.from(sig, "base64url").toString("base64url") === sig;
				expect([sig, reasonOf(`${head}.${sig}`)]).toEqual([sig, reference ? "ok" : "malformed"]);
				if (reference) accepted += 1;
			}
		}
		expect(accepted).toBeGreaterThan(70);
		// A length no byte string has (4n + 1 characters) is never a signature.
		for (let n = 0; n < 20; n++) expect(reasonOf(`${head}.${"A".repeat(4 * n + 1)}`)).toBe("malformed");
	});

	it("reads a header seen before from memory: equal, frozen, and never mistaken for a verdict", () => {
		const first = parseToken(valid);
		const again = parseToken(valid);
		expect(first.ok && again.ok).toBe(true);
		if (!first.ok || !again.ok) return;
		expect(again.header).toEqual(first.header);
		expect(Object.isFrozen(again.header)).toBe(true);
		// A header that spells the fields of a verdict is just a header.
		const lookalike = parseToken(`${b64({ alg: "EdDSA", ok: false, reason: "expired" })}.${payloadPart}.${signaturePart}`);
		expect(lookalike).toMatchObject({ ok: true, header: { alg: "EdDSA", ok: false, reason: "expired" } });
		expect(parseToken(`${b64({ alg: "EdDSA", ok: false, reason: "expired" })}.${payloadPart}.${signaturePart}`)).toMatchObject({ ok: true });
	});

	it("stays exact under a stream of distinct headers (the memory of headers is bounded and starts again)", () => {
		for (let i = 0; i < 500; i++) {
			const parsed = parseToken(`${b64({ alg: "EdDSA", kid: `made-up-${i}` })}.${payloadPart}.${signaturePart}`);
			expect(parsed.ok && parsed.header.kid).toBe(`made-up-${i}`);
			// Refusals are read again every time, never remembered as headers.
			expect(reasonOf(`${b64({ alg: "EdDSA", kid: `made-up-${i}`, jku: "https://evil" })}.${payloadPart}.${signaturePart}`)).toBe("unsupported_header");
		}
		expect(parseToken(valid)).toMatchObject({ ok: true, header: { kid: "k1" } });
	});
});

describe("parseToken, the whole answer", () => {
	const [headerPart] = valid.split(".") as [string];
	const rejection = (token: string) => {
		const parsed = parseToken(token);
		return parsed.ok ? parsed : { reason: parsed.reason, detail: parsed.detail };
	};

	it("hands back the signing input and the signature exactly as received", () => {
		expect(parseToken(valid)).toEqual({
			ok: true,
			header: { alg: "EdDSA", typ: "JWT", kid: "k1" },
			payload: { iss: "https://issuer", exp: 2e9 },
			signingInput: `${headerPart}.${payloadPart}`,
			signature: signaturePart,
			signatureBytes: 64
		});
	});

	it("takes a token of exactly 8 KiB", () => {
		// No base64url text is one character past a group of four, so the header grows too when needed.
		const signatureLength = signaturePart.length;
		let token = "";
		for (let extra = 0; token === "" && extra < 3; extra++) {
			const header = b64({ alg: "EdDSA", typ: "JWT", kid: `k1${"x".repeat(extra)}` });
			for (let pad = 6000; pad < 6200; pad++) {
				if (header.length + b64({ pad: "x".repeat(pad) }).length + signatureLength + 2 !== MAX_TOKEN_LENGTH) continue;
				token = signJwt(key, { pad: "x".repeat(pad) }, { kid: `k1${"x".repeat(extra)}` });
				break;
			}
		}
		expect(token).toHaveLength(MAX_TOKEN_LENGTH);
		expect(reasonOf(token)).toBe("ok");
		expect(reasonOf(`${token}A`)).toBe("token_too_large");
	});

	it.each([
		["a character outside base64url first in the header", `*${headerPart}.${payloadPart}.${signaturePart}`, "Every part of the token must be non-empty base64url"],
		["a character outside base64url last in the payload", `${headerPart}.${payloadPart}*.${signaturePart}`, "Every part of the token must be non-empty base64url"],
		["a character outside base64url first in the signature", `${headerPart}.${payloadPart}.*${signaturePart.slice(1)}`, "Every part of the token must be non-empty base64url"],
		["an empty header", `.${payloadPart}.${signaturePart}`, "Every part of the token must be non-empty base64url"],
		["an empty payload", `${headerPart}..${signaturePart}`, "Every part of the token must be non-empty base64url"],
		["two parts", `${headerPart}.${payloadPart}`, "The token must have exactly three parts"],
		["four parts", `${headerPart}.${payloadPart}.${signaturePart}.x`, "The token must have exactly three parts"],
		["a non-canonical signature", `${headerPart}.${payloadPart}.${signaturePart.slice(0, -1)}B`, "The signature is not canonical base64url"],
		["a header that is not JSON", `${b64("alg")}.${payloadPart}.${signaturePart}`, "The token header is not a JSON object"],
		["a header without alg", `${b64({ kid: "k1" })}.${payloadPart}.${signaturePart}`, "The token header has no alg"],
		["a numeric alg", `${b64({ alg: 1 })}.${payloadPart}.${signaturePart}`, "The token header has no alg"],
		["an empty kid", `${b64({ alg: "EdDSA", kid: "" })}.${payloadPart}.${signaturePart}`, "The token's kid must be a short string"],
		["a kid of 257 characters", `${b64({ alg: "EdDSA", kid: "k".repeat(257) })}.${payloadPart}.${signaturePart}`, "The token's kid must be a short string"],
		["a numeric typ", `${b64({ alg: "EdDSA", typ: 1 })}.${payloadPart}.${signaturePart}`, "The token's typ must be a string"],
		["a payload that is an array", `${headerPart}.${b64([1])}.${signaturePart}`, "The token payload is not a JSON object"],
		["a payload that is a string", `${headerPart}.${b64('"x"')}.${signaturePart}`, "The token payload is not a JSON object"]
	])("says what is wrong with %s", (_name, token, detail) => {
		expect(rejection(token)).toEqual({ reason: "malformed", detail });
	});

	it("refuses a header member that picks a key, with no detail", () => {
		expect(rejection(`${b64({ alg: "EdDSA", zip: "DEF" })}.${payloadPart}.${signaturePart}`)).toEqual({ reason: "unsupported_header", detail: undefined });
	});

	it("takes a kid of 256 characters and a string typ", () => {
		const parsed = parseToken(`${b64({ alg: "EdDSA", kid: "k".repeat(256), typ: "at+jwt" })}.${payloadPart}.${signaturePart}`);
		expect(parsed).toMatchObject({ ok: true, header: { kid: "k".repeat(256), typ: "at+jwt" } });
	});

	it("counts the decoded bytes of a signature of each length", () => {
		const head = `${headerPart}.${payloadPart}`;
		for (const bytes of [1, 2, 3, 64, 65, 66, 256]) {
			const parsed = parseToken(`${head}.${Buffer.alloc(bytes, 0x41).toString("base64url")}`);
			expect(parsed.ok && parsed.signatureBytes).toBe(bytes);
		}
	});
});

describe("KnownHeaders, the memory of headers read before", () => {
	const token = (header: object) => `${b64(header)}.${payloadPart}.${signaturePart}`;
	const headerOf = (parsed: ReturnType<typeof parseToken>) => (parsed.ok ? parsed.header : null);

	it("gives the very header read before, frozen; without a memory each parse reads it afresh", () => {
		const headers = new KnownHeaders();
		const first = headerOf(parseToken(valid, headers));
		expect(headerOf(parseToken(valid, headers))).toBe(first);
		expect(Object.isFrozen(first)).toBe(true);
		const fresh = headerOf(parseToken(valid));
		expect(fresh).toEqual(first);
		expect(fresh).not.toBe(first);
		expect(headerOf(parseToken(valid, new KnownHeaders()))).not.toBe(first);
	});

	it("holds at most 64 headers, then starts again", () => {
		const headers = new KnownHeaders();
		const first = headerOf(parseToken(valid, headers));
		for (let i = 0; i < 63; i++) parseToken(token({ alg: "EdDSA", kid: `made-up-${i}` }), headers);
		expect(headerOf(parseToken(valid, headers))).toBe(first);
		parseToken(token({ alg: "EdDSA", kid: "the-65th" }), headers);
		const again = headerOf(parseToken(valid, headers));
		expect(again).toEqual(first);
		expect(again).not.toBe(first);
	});

	it("never remembers a refusal: a refused header is read again each time", () => {
		const headers = new KnownHeaders();
		const refused = token({ alg: "EdDSA", jku: "https://evil" });
		const first = parseToken(refused, headers);
		const second = parseToken(refused, headers);
		expect(second).toEqual({ ok: false, reason: "unsupported_header" });
		expect(second).not.toBe(first);
	});
});
