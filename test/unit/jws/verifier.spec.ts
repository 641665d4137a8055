/**
 * The verifier by example, one step of the security argument per describe, in its order: size
 * and structure, the algorithm allow-list, the trusted issuer, the key, the signature, the
 * claims. Each step's refusals come before anything the next step would do: no fetch for a
 * token refused earlier, no claim read before the signature holds. Real key stores over real
 * HTTP issuers; no cache in front (that is cached-verifier's job).
 */
import { isPending, Verifier, type TrustedIssuerEntry, type Verdict } from "../../../lib/auth/jws/verifier";
import { MAX_TOKEN_LENGTH } from "../../../lib/auth/jws/token";
import { IssuerKeyStore } from "../../../lib/auth/keys/key-store";
import { parseAuthConfig } from "../../../lib/auth/policy/env";
import { SignatureChecks } from "../../../lib/auth/signatures/signature";
import { generateSigningKey, type SigningKey } from "../../../lib/dev-issuer/signer";
import { b64, claimsFor, FAR_FUTURE, signSegments } from "../../support/attack-kit";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";

let trusted: KeyServer;
/** A second trusted issuer that allows RS256 only. */
let rsaOnly: KeyServer;
/** An issuer nobody configured: it must never be asked for anything. */
let stranger: KeyServer;
let ed: SigningKey;
let rsa: SigningKey;
let rsaOnlyKey: SigningKey;
let strangerKey: SigningKey;
let stores: IssuerKeyStore[];
let verifier: Verifier;

beforeAll(async () => {
	[trusted, rsaOnly, stranger] = await Promise.all([new KeyServer({ issuerPath: "/trusted" }).start(), new KeyServer({ issuerPath: "/rsa-only" }).start(), new KeyServer({ issuerPath: "/stranger" }).start()]);
	ed = trusted.addKey("EdDSA", "ed-1");
	rsa = trusted.addKey("RS256", "rsa-1");
	rsaOnlyKey = rsaOnly.addKey("RS256", "rsa-only-1");
	strangerKey = stranger.addKey("EdDSA", "stranger-1");
	const config = parseAuthConfig({
		JWT_ISSUER: `${trusted.issuer},${rsaOnly.issuer}`,
		JWT_ALGORITHMS: "EdDSA,RS256",
		JWT_AUDIENCE: "things",
		JWKS_COOLDOWN: "0"
	});
	// As the Authenticator composes them, with rsaOnly narrowed to RS256.
	const issuers = new Map<string, TrustedIssuerEntry>(
		config.issuers.map(issuer => {
			const algorithms = issuer.issuer === rsaOnly.issuer ? (["RS256"] as const) : issuer.rules.algorithms;
			const store = new IssuerKeyStore(issuer, { ...config.jwks, algorithms });
			return [issuer.issuer, { store, rules: issuer.rules, algorithms: new Set<string>(algorithms) }];
		})
	);
	stores = [...issuers.values()].map(entry => entry.store);
	for (const store of stores) store.start();
	await waitFor(() => stores.every(store => store.hasUsableKeys()));
	verifier = new Verifier(issuers, new SignatureChecks());
});

afterAll(async () => {
	for (const store of stores) store.stop();
	await Promise.all([trusted, rsaOnly, stranger].map(server => server.stop()));
});

beforeEach(() => {
	for (const server of [trusted, rsaOnly, stranger]) server.resetCounts();
});

const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...claimsFor(trusted.issuer), aud: "things", ...extra });
const signed = (key: SigningKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}) => trusted.sign(key, payload, header);
/** A header and payload of our choosing, signed by `key`. */
const rawToken = (key: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown>) => signSegments(key, b64(header), b64(payload));

/** A refusal settled before the signature step: answered at once, and no issuer was asked anything. */
function refusedAtOnce(token: string): Verdict {
	const verdict = verifier.verify(token);
	if (isPending(verdict)) throw new Error("a promise: the token got as far as the signature step");
	expect(trusted.requests + rsaOnly.requests + stranger.requests).toBe(0);
	return verdict;
}

describe("1. size and structure", () => {
	it("refuses a token over MAX_TOKEN_LENGTH before reading any of it", () => {
		const token = signed(ed, claims({ padding: "x".repeat(MAX_TOKEN_LENGTH) }));
		expect(refusedAtOnce(token)).toMatchObject({ ok: false, reason: "token_too_large" });
	});

	it.each([
		["two parts", (token: string) => token.split(".").slice(0, 2).join(".")],
		["four parts", (token: string) => `${token}.AAAA`],
		["an empty signature", (token: string) => `${token.slice(0, token.lastIndexOf("."))}.`],
		["a payload that is not JSON", (token: string) => token.replace(/\.[^.]+\./, `.${b64("not json")}.`)],
		["a signature that is not canonical base64url", (token: string) => `${token.slice(0, -1)}B`]
	])("refuses %s as malformed", (_name, spoil) => {
		expect(refusedAtOnce(spoil(signed(ed, claims())))).toMatchObject({ ok: false, reason: "malformed" });
	});

	it.each(["jku", "x5u", "jwk", "crit"])("refuses a header naming %s: the token may not pick its own key or processing", name => {
		const token = rawToken(ed, { alg: "EdDSA", kid: ed.kid, [name]: name === "crit" ? ["exp"] : "https://attacker.example/keys" }, claims());
		expect(refusedAtOnce(token)).toMatchObject({ ok: false, reason: "unsupported_header" });
	});
});

describe("2. the algorithm allow-list", () => {
	it.each(["none", "HS256", "RS1"])("refuses alg %s, which no issuer allows, before `iss` is read", alg => {
		// No iss at all: the algorithm is refused first.
		const token = rawToken(ed, { alg, kid: ed.kid }, { sub: "alice", exp: FAR_FUTURE });
		expect(refusedAtOnce(token)).toMatchObject({ ok: false, reason: "algorithm_not_allowed" });
	});
});

describe("3. a trusted issuer", () => {
	it("refuses a token without iss, or with one that is not a string", () => {
		const { iss: _iss, ...withoutIss } = claims();
		expect(refusedAtOnce(signed(ed, withoutIss))).toMatchObject({ ok: false, reason: "missing_claim", detail: "The token has no iss claim" });
		expect(refusedAtOnce(signed(ed, claims({ iss: 42 })))).toMatchObject({ ok: false, reason: "invalid_claim", detail: "The iss claim must be a string" });
	});

	it("refuses an issuer nobody configured without asking it for keys, with what the token claimed for the logs", () => {
		const token = stranger.sign(strangerKey, { ...claims(), iss: stranger.issuer });
		expect(refusedAtOnce(token)).toMatchObject({ ok: false, reason: "issuer_mismatch", claimedIssuer: stranger.issuer, claimedKid: strangerKey.kid });
	});

	it("refuses an algorithm that another issuer allows but the token's own issuer does not", () => {
		const token = rawToken(ed, { alg: "EdDSA", kid: ed.kid }, { ...claims(), iss: rsaOnly.issuer });
		expect(refusedAtOnce(token)).toMatchObject({ ok: false, reason: "algorithm_not_allowed" });
	});
});

describe("4. the key, from the token's issuer alone", () => {
	it("refuses a kid the issuer does not publish, after asking that issuer (and no other) once", async () => {
		const verdict = await verifier.verify(signed(ed, claims(), { kid: "not-published" }));
		expect(verdict).toMatchObject({ ok: false, reason: "unknown_key" });
		expect([trusted.jwksFetches, rsaOnly.requests, stranger.requests]).toEqual([1, 0, 0]);
	});

	it("verifies a token whose kid arrived after the last fetch in full once the key set is fetched again: signature, then claims", async () => {
		const late = trusted.addKey("EdDSA", "ed-late");
		const pending = verifier.verify(signed(late, claims({ sub: "late" })));
		expect(isPending(pending)).toBe(true);
		expect(await pending).toMatchObject({ ok: true, kid: "ed-late", claims: { sub: "late", aud: "things" } });
		expect(trusted.jwksFetches).toBe(1);
		// Another new kid, signed by other key material than the one published for it.
		trusted.addKey("EdDSA", "ed-late-2");
		expect(await verifier.verify(signed(generateSigningKey("EdDSA", "ed-late-2"), claims()))).toMatchObject({ ok: false, reason: "bad_signature" });
		const expiredLate = trusted.addKey("EdDSA", "ed-late-3");
		expect(await verifier.verify(signed(expiredLate, claims({ exp: 1 })))).toMatchObject({ ok: false, reason: "expired" });
	});

	it("refuses a kid whose key does not fit the token's algorithm (algorithm confusion)", async () => {
		const token = rawToken(rsa, { alg: "RS256", kid: ed.kid }, claims());
		expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: "key_mismatch" });
	});

	it("takes a key from the issuer the token names, never from another trusted issuer", async () => {
		// Signed by rsaOnly's key under its kid, but claiming the other trusted issuer.
		const token = rsaOnly.sign(rsaOnlyKey, claims());
		expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: "unknown_key" });
		expect(rsaOnly.requests).toBe(0);
	});
});

describe("5. the signature", () => {
	it("refuses a changed signature, and a signature by another key under the issuer's kid", async () => {
		const token = signed(rsa, claims());
		const bytes = Buffer.from(token.slice(token.lastIndexOf(".") + 1), "base64url");
		bytes[10] = (bytes[10] as number) ^ 1;
		expect(await verifier.verify(`${token.slice(0, token.lastIndexOf(".") + 1)}${bytes.toString("base64url")}`)).toMatchObject({ ok: false, reason: "bad_signature" });
		expect(await verifier.verify(stranger.sign(strangerKey, claims(), { kid: ed.kid }))).toMatchObject({ ok: false, reason: "bad_signature" });
	});

	it("is checked before any claim is read: a forged token with expired claims is a bad signature, not an expired token", async () => {
		const forged = stranger.sign(strangerKey, claims({ exp: 1 }), { kid: ed.kid });
		expect(await verifier.verify(forged)).toMatchObject({ ok: false, reason: "bad_signature" });
	});
});

describe("6. the claims, once the signature holds", () => {
	it.each([
		["expired", { exp: Math.floor(Date.now() / 1000) - 60 }],
		["not_yet_valid", { nbf: Math.floor(Date.now() / 1000) + 600 }],
		["audience_mismatch", { aud: "other-things" }],
		["missing_claim", { exp: undefined }],
		["invalid_claim", { sub: 42 }]
	])("refuses %s", async (reason, extra) => {
		expect(await verifier.verify(signed(ed, claims(extra)))).toMatchObject({ ok: false, reason });
	});

	it("accepts a valid token: its claims, issuer, kid, algorithm and the key that verified it", async () => {
		for (const key of [ed, rsa]) {
			const verdict = await verifier.verify(signed(key, claims({ sub: "alice" })));
			expect(verdict).toMatchObject({ ok: true, issuer: trusted.issuer, kid: key.kid, alg: key.alg, claims: { sub: "alice", aud: "things" } });
			if (verdict.ok) expect(verdict.key.kid).toBe(key.kid);
		}
		expect(await verifier.verify(rsaOnly.sign(rsaOnlyKey, { ...claims(), iss: rsaOnly.issuer }))).toMatchObject({ ok: true, issuer: rsaOnly.issuer });
	});
});
