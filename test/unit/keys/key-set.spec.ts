import { createPublicKey } from "node:crypto";
import type { JwsAlgorithm } from "../../../lib/auth/jws/algorithms";
import { buildKeySet, fetchKeys, pickKey, type VerificationKey } from "../../../lib/auth/keys/key-set";
import { KeySetError } from "../../../lib/auth/keys/jwk-screen";
import { generateSigningKey, type SigningKey } from "../../../lib/dev-issuer/signer";
import { KeyServer } from "../../support/key-server";

const rsa = generateSigningKey("RS256", "rsa");
const otherRsa = generateSigningKey("RS256", "rsa");
const ed = generateSigningKey("EdDSA", "ed");
const ec = generateSigningKey("ES256", "ec");

function verificationKey(signing: SigningKey, algorithms: JwsAlgorithm[], kid: string | null = signing.kid): VerificationKey {
	return { kid, key: createPublicKey(signing.privateKey), algorithms: new Set(algorithms) };
}

describe("fetchKeys", () => {
	let server: KeyServer;
	const signal = () => AbortSignal.timeout(2000);

	beforeEach(async () => {
		server = await new KeyServer().start();
	});

	afterEach(async () => {
		await server.stop();
	});

	it("converts each published key once and maps it back to its own kid, kid-less keys included", async () => {
		const { kid: _kid, ...kidlessEd } = ed.jwk;
		server.rawKeys = [rsa.jwk, kidlessEd, ec.jwk];
		const { keys, warnings } = await fetchKeys(server.jwksUri, signal(), ["RS256", "EdDSA", "ES256"]);
		expect(warnings).toEqual([]);
		expect(keys.map(key => [key.kid, [...key.algorithms]])).toEqual([
			["rsa", ["RS256"]],
			[null, ["EdDSA"]],
			["ec", ["ES256"]]
		]);
		expect(keys[0]?.key.equals(createPublicKey(rsa.privateKey))).toBe(true);
		expect(keys[1]?.key.equals(createPublicKey(ed.privateKey))).toBe(true);
	});

	it("gives a key the allowed algorithms its type fits, narrowed to the alg its JWK names", async () => {
		const { alg: _alg, ...anyRsa } = rsa.jwk;
		server.rawKeys = [{ ...anyRsa, kid: "any" }, { ...rsa.jwk, kid: "named", alg: "PS256" }, ed.jwk];
		const { keys } = await fetchKeys(server.jwksUri, signal(), ["RS256", "RS384", "PS256", "ES256"]);
		expect(keys.map(key => [key.kid, [...key.algorithms].sort()])).toEqual([
			["any", ["PS256", "RS256", "RS384"]],
			["named", ["PS256"]],
			["ed", []]
		]);
	});

	it("passes on screening's warnings and counts the keys that could not be converted", async () => {
		server.rawKeys = [ed.jwk, { ...rsa.jwk, use: "enc" }, { ...ec.jwk, kid: "off-curve", x: "AAAA", y: "AAAA" }];
		const { keys, warnings } = await fetchKeys(server.jwksUri, signal(), ["EdDSA", "RS256", "ES256"]);
		expect(keys.map(key => key.kid)).toEqual(["ed"]);
		expect(warnings).toEqual(['skipped kid "rsa": use is "enc", not "sig"', "1 key(s) could not be converted and were skipped"]);
	});

	it("fails with a KeySetError that says so when no key can sign", async () => {
		server.rawKeys = [{ ...rsa.jwk, use: "enc" }];
		const failure = fetchKeys(server.jwksUri, signal(), ["RS256"]);
		await expect(failure).rejects.toThrow(KeySetError);
		await expect(fetchKeys(server.jwksUri, signal(), ["RS256"])).rejects.toThrow(/^the key set has no usable signing key \(.+\)$/);
	});

	it("passes on a failed fetch as it is", async () => {
		server.mode = "error";
		const failure = fetchKeys(server.jwksUri, signal(), ["RS256"]);
		await expect(failure).rejects.toThrow();
		await expect(failure).rejects.not.toThrow(/no usable signing key/);
	});
});

describe("buildKeySet", () => {
	it("indexes keys by kid, keeps kid-less ones in the list only, and records when it was fetched", () => {
		const named = verificationKey(rsa, ["RS256"]);
		const kidless = verificationKey(ed, ["EdDSA"], null);
		const set = buildKeySet([named, kidless], 1234);
		expect(set.keys).toEqual([named, kidless]);
		expect([...set.byKid.entries()]).toEqual([["rsa", named]]);
		expect(set.fetchedAt).toBe(1234);
	});

	it("keeps the previous object for the same kid, material and algorithms, and a new one when any of them changed", () => {
		const previous = buildKeySet([verificationKey(rsa, ["RS256", "PS256"]), verificationKey(ed, ["EdDSA"], null)], 1);
		const [oldRsa, oldEd] = previous.keys as [VerificationKey, VerificationKey];
		const same = verificationKey(rsa, ["PS256", "RS256"]);
		const sameKidless = verificationKey(ed, ["EdDSA"], null);
		expect(buildKeySet([same, sameKidless], 2, previous).keys).toEqual([oldRsa, oldEd]);
		expect(buildKeySet([same], 2, previous).keys[0]).toBe(oldRsa);
		expect(buildKeySet([sameKidless], 2, previous).keys[0]).toBe(oldEd);

		const changed = [
			verificationKey(otherRsa, ["RS256", "PS256"]), // re-keyed under the same kid
			verificationKey(rsa, ["RS256", "PS256"], "renamed"),
			verificationKey(rsa, ["RS256"]),
			verificationKey(rsa, ["RS256", "RS384"]),
			verificationKey(rsa, ["RS256", "PS256", "RS384"])
		];
		for (const key of changed) {
			const rebuilt = buildKeySet([key], 2, previous);
			expect(rebuilt.keys[0]).toBe(key);
			expect(rebuilt.keys[0]).not.toBe(oldRsa);
		}
		expect(buildKeySet([same], 2).keys[0]).toBe(same);
	});
});

describe("pickKey", () => {
	const rsaKey = verificationKey(rsa, ["RS256", "PS256"]);
	const edKey = verificationKey(ed, ["EdDSA"], null);
	const ecKey = verificationKey(ec, ["ES256"]);
	const set = buildKeySet([rsaKey, edKey, ecKey], 0);

	it("picks the key a kid names when it fits the algorithm", () => {
		expect(pickKey(set, "rsa", "PS256")).toEqual({ ok: true, key: rsaKey });
		expect((pickKey(set, "rsa", "RS256") as { key: VerificationKey }).key).toBe(rsaKey);
		expect((pickKey(set, "ec", "ES256") as { key: VerificationKey }).key).toBe(ecKey);
	});

	it("refuses a kid it does not know, and a known kid under another algorithm", () => {
		expect(pickKey(set, "nope", "RS256")).toEqual({ ok: false, reason: "unknown_key" });
		expect(pickKey(set, "rsa", "RS384")).toEqual({ ok: false, reason: "key_mismatch" });
		expect(pickKey(set, "rsa", "EdDSA")).toEqual({ ok: false, reason: "key_mismatch" });
	});

	it("picks for a kid-less token only the one key that fits its algorithm", () => {
		expect((pickKey(set, undefined, "EdDSA") as { key: VerificationKey }).key).toBe(edKey);
		expect((pickKey(set, undefined, "ES256") as { key: VerificationKey }).key).toBe(ecKey);
		expect(pickKey(set, undefined, "RS384")).toEqual({ ok: false, reason: "unknown_key", detail: "No key of the issuer fits the token" });
		const twoRsa = buildKeySet([rsaKey, verificationKey(otherRsa, ["RS256"], "rsa-2")], 0);
		expect(pickKey(twoRsa, undefined, "RS256")).toEqual({ ok: false, reason: "unknown_key", detail: "The token has no kid and several keys fit" });
		expect((pickKey(twoRsa, undefined, "PS256") as { key: VerificationKey }).key).toBe(rsaKey);
	});
});
