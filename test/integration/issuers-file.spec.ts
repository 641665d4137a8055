/**
 * Two real issuers with their own rules, from JWT_ISSUERS_FILE, behind one real gateway: each
 * token is checked with its own issuer's audience, algorithms, type, maximum age and clock
 * tolerance, never with the other's.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { KeyServer } from "../support/key-server";
import { bearer, get, startGateway, type Gateway } from "../support/gateway";
import { claimsFor, expectAnswer, invalid, nowSeconds } from "../support/attack-kit";

let a: KeyServer;
let b: KeyServer;
let aEs: SigningKey;
let aEd: SigningKey;
let bEd: SigningKey;
let bEs: SigningKey;
let gateway: Gateway;
let dir: string;

beforeAll(async () => {
	a = await new KeyServer({ issuerPath: "/tenant-a" }).start();
	b = await new KeyServer({ issuerPath: "/tenant-b" }).start();
	aEs = a.addKey("ES256", "a-es");
	aEd = a.addKey("EdDSA", "a-ed");
	bEd = b.addKey("EdDSA", "b-ed");
	bEs = b.addKey("ES256", "b-es");
	dir = mkdtempSync(join(tmpdir(), "issuers-"));
	const file = join(dir, "issuers.json");
	writeFileSync(
		file,
		JSON.stringify({
			issuers: [
				{ issuer: a.issuer, audience: "api://a", algorithms: ["ES256"], type: "at+jwt", maxTokenAge: 60, clockTolerance: 0 },
				// B takes the rest from the environment: JWT_AUDIENCE, JWT_ALGORITHMS, no type, no maximum age, 5 s.
				{ issuer: b.issuer, jwksUri: b.jwksUri }
			]
		})
	);
	gateway = await startGateway({ JWT_ISSUERS_FILE: file, JWT_AUDIENCE: "api://b", JWT_ALGORITHMS: "EdDSA" });
});

afterAll(async () => {
	await gateway.stop();
	await Promise.all([a.stop(), b.stop()]);
	rmSync(dir, { recursive: true, force: true });
});

const call = (token: string) => get(`${gateway.url}/api/protected`, bearer(token));
const AT_JWT = { typ: "at+jwt" };
const fromA = (key: SigningKey, extra: Record<string, unknown> = {}, header: object = AT_JWT) => a.sign(key, claimsFor(a.issuer, { aud: "api://a", ...extra }), header);
const fromB = (key: SigningKey, extra: Record<string, unknown> = {}, header: object = {}) => b.sign(key, claimsFor(b.issuer, { aud: "api://b", ...extra }), header);

describe("each issuer's own rules", () => {
	it("accepts each issuer's token under its own rules, again from the cache", async () => {
		for (const token of [fromA(aEs), fromB(bEd)]) {
			expect((await call(token)).status).toBe(200);
			expect((await call(token)).status).toBe(200);
		}
	});

	it("refuses A's audience on a token B signs, and B's audience on a token A signs", async () => {
		const bWithA = fromB(bEd, { aud: "api://a" });
		expectAnswer(await call(bWithA), invalid("audience_mismatch"), bWithA);
		const aWithB = fromA(aEs, { aud: "api://b" });
		expectAnswer(await call(aWithB), invalid("audience_mismatch"), aWithB);
	});

	it("refuses an algorithm allowed for the other issuer only, though its key is published", async () => {
		const aEdDsa = fromA(aEd);
		expectAnswer(await call(aEdDsa), invalid("algorithm_not_allowed"), aEdDsa);
		const bEs256 = fromB(bEs);
		expectAnswer(await call(bEs256), invalid("algorithm_not_allowed"), bEs256);
	});

	it("checks the token type for A only", async () => {
		const untyped = fromA(aEs, {}, {});
		expectAnswer(await call(untyped), invalid("type_mismatch"), untyped);
		expect((await call(fromB(bEd, {}, { typ: "JWT" }))).status).toBe(200);
	});

	it("limits token age for A only", async () => {
		const old = fromA(aEs, { iat: nowSeconds() - 120 });
		expectAnswer(await call(old), invalid("too_old"), old);
		expect((await call(fromB(bEd, { iat: nowSeconds() - 120 }))).status).toBe(200);
	});

	it("gives A no clock tolerance and B the environment's 5 s", async () => {
		const late = fromA(aEs, { exp: nowSeconds() - 2 });
		expectAnswer(await call(late), invalid("expired"), late);
		expect((await call(fromB(bEd, { exp: nowSeconds() - 2 }))).status).toBe(200);
	});

	it("fetched B's keys from the jwksUri of the file and A's through discovery", () => {
		expect(b.discoveryFetches).toBe(0);
		expect(b.jwksFetches).toBeGreaterThan(0);
		expect(a.discoveryFetches).toBeGreaterThan(0);
	});
});
