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

describe("screenKeySet, at each bound and in each warning", () => {
	/** A modulus whose first byte is `first`, then `bytes - 1` more (screening reads its size only). */
	const modulusOf = (first: number, bytes: number, leadingZeros = 0) => Buffer.concat([Buffer.alloc(leadingZeros), Buffer.from([first]), Buffer.alloc(bytes - 1, 0xa5)]).toString("base64url");
	const kidsKept = (body: unknown) => screenKeySet(body).keys.map(k => k.kid);

	it("reads the modulus size from its magnitude: leading zero bytes and the top byte's zero bits do not count", () => {
		expect(screenKeySet({ keys: [{ ...rsa, n: modulusOf(0x80, 256, 3) }] }).warnings).toEqual([]);
		expect(screenKeySet({ keys: [{ ...rsa, n: modulusOf(0x7f, 256) }] }).warnings).toEqual(['skipped kid "rsa": RSA modulus of 2047 bits is under 2048']);
		expect(screenKeySet({ keys: [{ ...rsa, n: modulusOf(0x01, 257) }] }).warnings).toEqual([]);
		expect(screenKeySet({ keys: [{ ...rsa, n: modulusOf(0x01, 2049) }] }).warnings).toEqual(['skipped kid "rsa": RSA modulus of 16385 bits is over 16384']);
		expect(screenKeySet({ keys: [{ ...rsa, n: Buffer.alloc(300).toString("base64url") }] }).warnings).toEqual(['skipped kid "rsa": RSA modulus of 0 bits is under 2048']);
	});

	it("names the exponent it refuses, and keeps 3", () => {
		expect(screenKeySet({ keys: [{ ...rsa, e: exponent("02") }] }).warnings).toEqual(['skipped kid "rsa": RSA exponent 2 is under 3']);
		expect(screenKeySet({ keys: [{ ...rsa, e: exponent("0101") }] }).warnings).toEqual([]);
		expect(screenKeySet({ keys: [{ ...rsa, e: exponent("00000000010001") }] }).warnings).toEqual([]);
	});

	it("takes use sig, key_ops with verify, and a supported alg as they are", () => {
		expect(kidsKept({ keys: [{ ...rsa, use: "sig", key_ops: ["sign", "verify"], alg: "RS256" }] })).toEqual(["rsa"]);
		expect(screenKeySet({ keys: [{ ...rsa, key_ops: "verify" }] }).warnings).toEqual(['skipped kid "rsa": key_ops does not allow verify']);
		expect(screenKeySet({ keys: [{ ...rsa, alg: 256 }] }).warnings).toEqual(['skipped kid "rsa": alg 256 is not a supported signature algorithm']);
		expect(screenKeySet({ keys: [{ ...rsa, use: "enc" }] }).warnings).toEqual(['skipped kid "rsa": use is "enc", not "sig"']);
	});

	it("records the kid and alg of a kept key, and null for those it lacks", () => {
		const { kid: _kid, alg: _alg, ...bare } = ed;
		const { keys } = screenKeySet({ keys: [{ ...rsa, alg: "RS256" }, bare] });
		expect(keys.map(k => [k.kid, k.alg])).toEqual([
			["rsa", "RS256"],
			[null, null]
		]);
		expect(keys[0]?.jwk).toEqual({ ...rsa, alg: "RS256" });
	});

	it.each([
		["an EC key on a curve given as a number", { ...ec, crv: 256 }, 'skipped kid "ec": EC curve 256 is not supported'],
		["an EC key without y", { ...ec, y: undefined }, 'skipped kid "ec": EC key without x or y'],
		["an EC key without x", { ...ec, x: undefined }, 'skipped kid "ec": EC key without x or y'],
		["an EC key with x not base64url", { ...ec, x: "a+b/" }, 'skipped kid "ec": EC key without x or y'],
		["an OKP key without x", { ...ed, x: undefined }, 'skipped kid "ed": OKP key without x'],
		["an RSA key with e not a string", { ...rsa, e: 65537 }, 'skipped kid "rsa": RSA key without n or e'],
		["an RSA key without e", { ...rsa, e: undefined }, 'skipped kid "rsa": RSA key without n or e'],
		["a key without kty", { kid: "none", x: "AAAA" }, 'skipped kid "none": kty undefined is not supported']
	])("skips %s, saying why", (_name, jwk, warning) => {
		expect(screenKeySet({ keys: [JSON.parse(JSON.stringify(jwk))] })).toEqual({ keys: [], warnings: [warning] });
	});

	it("labels a key by its kid (cut to 64 characters) or by its place in the set", () => {
		const long = "k".repeat(100);
		expect(screenKeySet({ keys: [ed, { ...rsa, kid: long, use: "enc" }, "text", { kty: "XYZ" }] }).warnings).toEqual([
			`skipped kid "${"k".repeat(64)}": use is "enc", not "sig"`,
			"skipped key #2: not a JSON object",
			'skipped key #3: kty "XYZ" is not supported'
		]);
	});

	it("takes a kid of up to 256 characters, never an empty one", () => {
		expect(kidsKept({ keys: [{ ...ed, kid: "k".repeat(256) }] })).toEqual(["k".repeat(256)]);
		expect(screenKeySet({ keys: [{ ...ed, kid: "k".repeat(257) }] }).warnings).toEqual([`skipped kid "${"k".repeat(64)}": kid is not a short string`]);
		expect(screenKeySet({ keys: [{ ...ed, kid: "" }] }).warnings).toEqual(['skipped kid "": kid is not a short string']);
	});

	it("takes a set of up to 100 keys and says why it refuses a body", () => {
		expect(screenKeySet({ keys: new Array(100).fill({ kty: "XYZ" }) }).warnings).toHaveLength(100);
		expect(() => screenKeySet({ keys: new Array(101).fill(ed) })).toThrow("the key set has 101 keys, more than 100");
		expect(() => screenKeySet({ keys: "all" })).toThrow("the key set is not a JSON object with a keys array");
		expect(() => screenKeySet([ed])).toThrow("the key set is not a JSON object with a keys array");
		expect(new KeySetError("x").name).toBe("KeySetError");
	});

	it("keeps a kid used once beside a kid used twice", () => {
		expect(kidsKept({ keys: [{ ...rsa, kid: "dup" }, { ...ec, kid: "dup" }, ed] })).toEqual(["ed"]);
		expect(kidsKept({ keys: [{ ...rsa, kid: "a" }, { ...ec, kid: "b" }] })).toEqual(["a", "b"]);
	});
});

describe("screenKeySet, curves and coordinates", () => {
	it("skips an EC key on a curve named but not supported, and a coordinate with a stray character first", () => {
		expect(screenKeySet({ keys: [{ ...ec, crv: "secp256k1" }] })).toEqual({ keys: [], warnings: ['skipped kid "ec": EC curve "secp256k1" is not supported'] });
		expect(screenKeySet({ keys: [{ ...ec, x: `+${String(ec.x)}` }] })).toEqual({ keys: [], warnings: ['skipped kid "ec": EC key without x or y'] });
	});
});
