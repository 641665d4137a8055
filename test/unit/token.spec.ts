import { generateSigningKey, signJwt } from "../../lib/dev-issuer/signer";
import { MAX_TOKEN_LENGTH, parseToken } from "../../lib/auth/token";

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
		expect(parsed.signature).toHaveLength(64);
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
});
