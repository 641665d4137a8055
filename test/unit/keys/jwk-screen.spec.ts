import { generateSigningKey } from "../../../lib/dev-issuer/signer";
import { KeySetError, screenKeySet } from "../../../lib/auth/keys/jwk-screen";

const rsa = generateSigningKey("RS256", "rsa").jwk;
const ed = generateSigningKey("EdDSA", "ed").jwk;
const ec = generateSigningKey("ES256", "ec").jwk;
/** An exponent as JWK base64url: big-endian bytes. */
const exponent = (hex: string) => Buffer.from(hex, "hex").toString("base64url");
/** A modulus of `bits` bits (screening reads its size only). */
const modulus = (bits: number) => Buffer.concat([Buffer.from([0x80]), Buffer.alloc(bits / 8 - 1, 0xa5)]).toString("base64url");

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
		["an RSA modulus over 16384 bits", { ...rsa, kid: "x", n: modulus(16392) }, /16392 bits is over 16384/],
		["RSA exponent 1 (signature = padded digest)", { ...rsa, kid: "x", e: exponent("01") }, /exponent 1 is under 3/],
		["RSA exponent 1 with leading zero bytes", { ...rsa, kid: "x", e: exponent("000001") }, /exponent 1 is under 3/],
		["RSA exponent 0", { ...rsa, kid: "x", e: exponent("00") }, /exponent 0 is under 3/],
		["an even RSA exponent", { ...rsa, kid: "x", e: exponent("010000") }, /exponent 65536 is even/],
		["an RSA exponent of 2^32 + 1", { ...rsa, kid: "x", e: exponent("0100000001") }, /2\^32 or more/],
		["an Ed448 key", { kty: "OKP", crv: "Ed448", x: "AAAA", kid: "x" }, /curve "Ed448"/],
		["an unsupported alg", { ...rsa, kid: "x", alg: "RSA-OAEP" }, /alg "RSA-OAEP"/],
		["a numeric kid", { ...rsa, kid: 5 }, /kid is not a short string/]
	])("skips %s with a warning naming it", (_name, jwk, message) => {
		const { keys, warnings } = screenKeySet({ keys: [jwk, ed] });
		expect(keys.map(k => k.kid)).toEqual(["ed"]);
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(message);
	});

	it.each([
		["3 (the smallest)", "03"],
		["65537", "010001"],
		["2^32 - 1", "ffffffff"],
		["65537 with a leading zero byte", "00010001"]
	])("keeps an RSA key with exponent %s", (_name, hex) => {
		expect(screenKeySet({ keys: [{ ...rsa, e: exponent(hex) }] })).toEqual({ keys: [expect.objectContaining({ kid: "rsa" })], warnings: [] });
	});

	it("keeps an RSA modulus of exactly 16384 bits", () => {
		expect(screenKeySet({ keys: [{ ...rsa, n: modulus(16384) }] }).warnings).toEqual([]);
	});

	it("drops every usable key of a duplicated kid", () => {
		const { keys, warnings } = screenKeySet({ keys: [{ ...rsa, kid: "dup" }, { ...ed, kid: "dup" }, ec] });
		expect(keys.map(k => k.kid)).toEqual(["ec"]);
		expect(warnings).toEqual(['skipped kid "dup": the kid appears on more than one usable key', 'skipped kid "dup": the kid appears on more than one usable key']);
	});

	it.each([
		["an encryption key", { ...rsa, kid: "shared", use: "enc" }],
		["a weak RSA key", { ...rsa, kid: "shared", e: exponent("01") }],
		["a key of an unknown kty", { kty: "XYZ", kid: "shared" }]
	])("keeps a signing key whose kid is shared with %s", (_name, skipped) => {
		const { keys, warnings } = screenKeySet({ keys: [skipped, { ...ed, kid: "shared" }] });
		expect(keys.map(k => [k.kid, k.jwk.kty])).toEqual([["shared", "OKP"]]);
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(/^skipped kid "shared": (?!the kid)/);
	});

	it.each([[null], ["keys"], [{}], [{ keys: {} }], [{ keys: new Array(101).fill(ed) }]])("refuses a body that is not a key set: %j", body => {
		expect(() => screenKeySet(body)).toThrow(KeySetError);
	});
});
