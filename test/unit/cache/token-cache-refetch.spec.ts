/**
 * The verified-token cache across refetches (docs/CONTRACT.md, "Second round"): a refetch that returns
 * the same key material keeps every cached verification, so an anonymous client's made-up kid
 * flushes nothing; a token verified again in full counts as a miss, never a hit.
 */
import { randomUUID } from "node:crypto";
import { Authenticator } from "../../../lib/auth/authenticator";
import { parseAuthConfig } from "../../../lib/auth/policy/env";
import type { SigningKey } from "../../../lib/dev-issuer/signer";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";

describe("the verified-token cache across refetches", () => {
	let issuer: KeyServer;
	let auth: Authenticator;
	let key: SigningKey;
	const counts = { hit: 0, miss: 0 };
	const socket = {};

	beforeEach(async () => {
		issuer = await new KeyServer().start();
		key = issuer.addKey("EdDSA", "a");
		counts.hit = counts.miss = 0;
		auth = new Authenticator(parseAuthConfig({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0", JWT_VERIFY_THREADS: "0" }), {
			events: { hit: () => counts.hit++, miss: () => counts.miss++ }
		});
		auth.start();
		await waitFor(() => auth.readiness().ready);
	});

	afterEach(async () => {
		await auth.stop();
		await issuer.stop();
	});

	const madeUpKid = () => auth.verify(issuer.sign(key, { iss: issuer.issuer, exp: 9999999999 }, { kid: randomUUID() }));
	const check = (token: string) => auth.authenticate(`Bearer ${token}`, socket) as Exclude<ReturnType<Authenticator["authenticate"]>, null>;

	it("keeps cached tokens and connection memos through unknown-kid refetches of the same keys", async () => {
		const token = issuer.mint(key);
		const other = issuer.mint(key);
		for (const t of [token, token, other, other]) expect((await check(t)).ok).toBe(true);
		// Both kept: each is a hit now.
		expect((await check(token)).ok).toBe(true);
		expect((await check(other)).ok).toBe(true);
		expect(counts).toEqual({ hit: 2, miss: 4 });
		const fetches = issuer.jwksFetches;
		for (let i = 0; i < 5; i++) expect(await madeUpKid()).toMatchObject({ ok: false, reason: "unknown_key" });
		expect(issuer.jwksFetches).toBe(fetches + 5);
		counts.hit = counts.miss = 0;
		// `other` is this connection's memo, `token` is in the LRU: both are hits, no full verification.
		expect((await check(other)).ok).toBe(true);
		expect((await check(token)).ok).toBe(true);
		expect(counts).toEqual({ hit: 2, miss: 0 });
	});

	it.each([
		["through the LRU", (auth: Authenticator, token: string) => auth.verify(token)],
		["on the connection's memo", (_auth: Authenticator, token: string) => check(token)]
	])("counts a full re-verification %s as a miss, not a hit", async (_name, verify) => {
		const token = issuer.mint(key);
		for (let i = 0; i < 3; i++) expect((await verify(auth, token)).ok).toBe(true);
		// Kept: the third check was a hit.
		expect(counts.hit).toBe(1);
		// The key leaves the set (another stays, or the fetch would count as failed) and comes
		// back: a new key object, so the cached entry no longer vouches.
		issuer.addKey("EdDSA", "b");
		issuer.removeKey("a");
		expect((await auth.refreshKeys())[0]).toMatchObject({ ok: true, removed: ["a"] });
		issuer.keys.push(key);
		await auth.refreshKeys();
		counts.hit = counts.miss = 0;
		expect((await verify(auth, token)).ok).toBe(true);
		expect(counts).toEqual({ hit: 0, miss: 1 });
	});
});
