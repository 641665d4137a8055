/**
 * The attack checklist (jwt-verifiers-and-attacks.md §c) against the real gateway over HTTP and a
 * real issuer: algorithm games, signatures, key confusion, header injection, kid injection and
 * weak keys. Claims: attacks-claims.spec.ts; structure and transport: attacks-transport.spec.ts.
 */
import { createHmac, createPublicKey, sign } from "node:crypto";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, type Gateway } from "../support/gateway";
import { b64, claimsFor, expectAnswer, invalid } from "../support/attack-kit";

const ALGORITHMS = "RS256,PS256,ES256,EdDSA";

describe("attacks on algorithm, signature, key and header", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let rsa: SigningKey;
	let ed: SigningKey;
	let ec: SigningKey;
	let ps: SigningKey;

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		rsa = issuer.addKey("RS256", "rsa-1");
		ed = issuer.addKey("EdDSA", "ed-1");
		ec = issuer.addKey("ES256", "ec-1");
		ps = issuer.addKey("PS256", "ps-1");
		issuer.addKey("RS256", "rsa-1024", 1024);
		issuer.addKey("ES384", "ec-384");
		// The RS256 key republished under another kid with `alg: PS256`: it may verify PS256 only.
		issuer.rawKeys = [{ ...rsa.jwk, kid: "rsa-as-ps256", alg: "PS256" }];
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWT_ALGORITHMS: ALGORITHMS });
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	const call = (token: string) => get(`${gateway.url}/api/protected`, bearer(token));
	const claims = (extra: Record<string, unknown> = {}) => claimsFor(issuer.issuer, extra);
	const key = (alg: string): SigningKey => ({ RS256: rsa, EdDSA: ed, ES256: ec, PS256: ps })[alg] as SigningKey;

	it.each(["RS256", "PS256", "ES256", "EdDSA"])("accepts a valid %s token (baseline)", async alg => {
		const res = await call(issuer.sign(key(alg), claims()));
		expect(res.status).toBe(200);
	});

	describe("alg none", () => {
		for (const alg of ["none", "None", "NONE", "nOnE"]) {
			const unsigned = () => `${b64({ alg, typ: "JWT" })}.${b64(claims())}`;

			it(`rejects alg "${alg}" with a trailing signature as algorithm_not_allowed`, async () => {
				const token = `${unsigned()}.${issuer.sign(rsa, claims()).split(".")[2]}`;
				expectAnswer(await call(token), invalid("algorithm_not_allowed"), token);
			});

			it(`rejects alg "${alg}" with an empty signature part as malformed`, async () => {
				const token = `${unsigned()}.`;
				expectAnswer(await call(token), invalid("malformed"), token);
			});
		}
	});

	describe("HMAC confusion", () => {
		const hs256 = (secret: string | Buffer, kid: string) => {
			const input = `${b64({ alg: "HS256", typ: "JWT", kid })}.${b64(claims())}`;
			return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
		};

		it("rejects HS256 signed with the RSA public key PEM as secret as algorithm_not_allowed", async () => {
			const pem = createPublicKey(rsa.privateKey).export({ type: "spki", format: "pem" }).toString();
			const token = hs256(pem, rsa.kid);
			expectAnswer(await call(token), invalid("algorithm_not_allowed"), token);
		});

		it("rejects HS256 signed with the JWKS JSON as secret as algorithm_not_allowed", async () => {
			const jwks = await (await fetch(issuer.jwksUri)).text();
			const token = hs256(jwks, rsa.kid);
			expectAnswer(await call(token), invalid("algorithm_not_allowed"), token);
		});
	});

	describe("signatures", () => {
		const withSignature = (token: string, signature: string) => `${token.split(".").slice(0, 2).join(".")}.${signature}`;

		it("rejects an RS256 token with an empty signature as malformed", async () => {
			const token = withSignature(issuer.sign(rsa, claims()), "");
			expectAnswer(await call(token), invalid("malformed"), token);
		});

		it("rejects a signature that is not base64url as malformed", async () => {
			const signature = Buffer.from(issuer.sign(rsa, claims()).split(".")[2] as string, "base64url").toString("base64");
			const token = withSignature(issuer.sign(rsa, claims()), `${signature.replace(/=+$/, "")}+/`);
			expectAnswer(await call(token), invalid("malformed"), token);
		});

		it("rejects an ES256 all-zero (r = s = 0, psychic) signature as bad_signature", async () => {
			const token = withSignature(issuer.sign(ec, claims()), Buffer.alloc(64).toString("base64url"));
			expectAnswer(await call(token), invalid("bad_signature"), token);
		});

		it("rejects an ES256 DER-encoded signature as bad_signature", async () => {
			const input = issuer.sign(ec, claims()).split(".").slice(0, 2).join(".");
			const der = sign("sha256", Buffer.from(input), { key: ec.privateKey, dsaEncoding: "der" });
			const token = `${input}.${der.toString("base64url")}`;
			expectAnswer(await call(token), invalid("bad_signature"), token);
		});
	});

	describe("key confusion", () => {
		it("rejects an ES256 token naming an RSA key's kid as key_mismatch", async () => {
			const token = issuer.sign(ec, claims(), { kid: rsa.kid });
			expectAnswer(await call(token), invalid("key_mismatch"), token);
		});

		it("rejects an ES256 token naming a P-384 key's kid as key_mismatch", async () => {
			const token = issuer.sign(ec, claims(), { kid: "ec-384" });
			expectAnswer(await call(token), invalid("key_mismatch"), token);
		});

		it("rejects an RS256 token naming an Ed25519 key's kid as key_mismatch", async () => {
			const token = issuer.sign(rsa, claims(), { kid: ed.kid });
			expectAnswer(await call(token), invalid("key_mismatch"), token);
		});

		it("rejects an EdDSA token naming an RSA key's kid as key_mismatch", async () => {
			const token = issuer.sign(ed, claims(), { kid: rsa.kid });
			expectAnswer(await call(token), invalid("key_mismatch"), token);
		});

		it("rejects an RS256 token against a JWK that declares alg PS256 as key_mismatch", async () => {
			const token = issuer.sign(rsa, claims(), { kid: "rsa-as-ps256" });
			expectAnswer(await call(token), invalid("key_mismatch"), token);
		});

		it("rejects a token signed by a 1024-bit RSA key published in the set as unknown_key (the key is skipped)", async () => {
			const weak = issuer.keys.find(candidate => candidate.kid === "rsa-1024") as SigningKey;
			const token = issuer.sign(weak, claims());
			expectAnswer(await call(token), invalid("unknown_key"), token);
		});
	});

	describe("header injection", () => {
		let attacker: SigningKey;
		let evil: KeyServer;

		beforeAll(async () => {
			// An attacker's issuer, publishing the attacker's key.
			evil = await new KeyServer().start();
			attacker = evil.addKey("RS256", "attacker");
		});

		afterAll(async () => {
			await evil.stop();
		});

		it("rejects an embedded jwk header self-signed by an attacker key as unsupported_header", async () => {
			const token = issuer.sign(attacker, claims(), { jwk: attacker.jwk });
			expectAnswer(await call(token), invalid("unsupported_header"), token);
		});

		it.each(["jku", "x5u"])("rejects a %s header pointing to an attacker server as unsupported_header, without fetching it", async name => {
			const token = issuer.sign(attacker, claims(), { [name]: evil.jwksUri });
			expectAnswer(await call(token), invalid("unsupported_header"), token);
			await new Promise(resolve => setTimeout(resolve, 100));
			expect(evil.requests).toBe(0);
		});

		it.each([
			["x5c", { x5c: [Buffer.from("not really a certificate").toString("base64")] }],
			["crit: [\"exp\"]", { crit: ["exp"] }],
			["b64: false", { b64: false, crit: ["b64"] }],
			["b64: false without crit", { b64: false }],
			["zip: \"DEF\"", { zip: "DEF" }]
		])("rejects a token with %s as unsupported_header", async (_name, header) => {
			const token = issuer.sign(rsa, claims(), header);
			expectAnswer(await call(token), invalid("unsupported_header"), token);
		});
	});
});

describe("kid injection within one cooldown", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let rsa: SigningKey;

	beforeAll(async () => {
		issuer = await new KeyServer().start();
		rsa = issuer.addKey("RS256", "rsa-1");
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWT_ALGORITHMS: ALGORITHMS, JWKS_COOLDOWN: "60000" });
	});

	afterAll(async () => {
		await gateway.stop();
		await issuer.stop();
	});

	const call = (token: string) => get(`${gateway.url}/api/protected`, bearer(token));
	let fetchesBefore = 0;
	beforeAll(() => {
		fetchesBefore = issuer.jwksFetches;
	});

	it.each([
		["path traversal", "../../dev/null", "unknown_key"],
		["SQL injection", "' OR 1=1 --", "unknown_key"],
		["command injection", "$(id)", "unknown_key"],
		["__proto__", "__proto__", "unknown_key"],
		["constructor", "constructor", "unknown_key"],
		["toString", "toString", "unknown_key"],
		["a 256-character kid", "k".repeat(256), "unknown_key"],
		["a 300-character kid", "k".repeat(300), "malformed"],
		["an empty kid", "", "malformed"],
		["a numeric kid", 42, "malformed"],
		["an object kid", { $ne: null }, "malformed"]
	])("rejects a kid that is %s", async (_name, kid, reason) => {
		const token = issuer.sign(rsa, claimsFor(issuer.issuer), { kid });
		expectAnswer(await call(token), invalid(reason), token);
	});

	it("fetched the key set at most once more for all those kids", () => {
		expect(issuer.jwksFetches - fetchesBefore).toBeLessThanOrEqual(1);
	});
});
