import { generateSigningKey } from "../../lib/dev-issuer/signer";
import { KeySetError, screenKeySet } from "../../lib/auth/jwk-screen";

const rsa = generateSigningKey("RS256", "rsa").jwk;
const ed = generateSigningKey("EdDSA", "ed").jwk;
const ec = generateSigningKey("ES256", "ec").jwk;

describe("screenKeySet", () => {
	it("keeps public signing keys of every supported type", () => {
		const { keys, warnings } = screenKeySet({ keys: [rsa, ed, ec] });
		expect(keys.map(k => k.kid)).toEqual(["rsa", "ed", "ec"]);
		expect(warnings).toEqual([]);
	});

	it.each([
		["an encryption key", { ...rsa, kid: "x", use: "enc" }, /use is "enc"/],
		["key_ops without verify", { ...rsa, kid: "x", key_ops: ["encrypt"] }, /key_ops/],
		["private key material", { ...ed, kid: "x", d: "AAAA" }, /private key material/],
		["an unknown kty", { kty: "oct", kid: "x", k: "c2VjcmV0" }, /private key material|kty/],
		["an unknown kty without secret", { kty: "XYZ", kid: "x" }, /kty "XYZ"/],
		["a missing modulus", { kty: "RSA", kid: "x", e: "AQAB" }, /without n or e/],
		["a 1024-bit RSA key", { ...generateSigningKey("RS256", "x", 1024).jwk }, /1024 bits is under 2048/],
		["an Ed448 key", { kty: "OKP", crv: "Ed448", x: "AAAA", kid: "x" }, /curve "Ed448"/],
		["an unsupported alg", { ...rsa, kid: "x", alg: "RSA-OAEP" }, /alg "RSA-OAEP"/],
		["a numeric kid", { ...rsa, kid: 5 }, /kid is not a short string/]
	])("skips %s with a warning naming it", (_name, jwk, message) => {
		const { keys, warnings } = screenKeySet({ keys: [jwk, ed] });
		expect(keys.map(k => k.kid)).toEqual(["ed"]);
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(message);
	});

	it("drops every key of a duplicated kid", () => {
		const { keys, warnings } = screenKeySet({ keys: [{ ...rsa, kid: "dup" }, { ...ed, kid: "dup" }, ec] });
		expect(keys.map(k => k.kid)).toEqual(["ec"]);
		expect(warnings).toEqual(['skipped kid "dup": the kid appears more than once', 'skipped kid "dup": the kid appears more than once']);
	});

	it.each([[null], ["keys"], [{}], [{ keys: {} }], [{ keys: new Array(101).fill(ed) }]])("refuses a body that is not a key set: %j", body => {
		expect(() => screenKeySet(body)).toThrow(KeySetError);
	});
});
