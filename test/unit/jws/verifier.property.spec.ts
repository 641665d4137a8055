/**
 * Property-based tests of the verifier (fast-check, fixed seed): no single-character change of a
 * valid token verifies, re-encoded headers verify only when re-signed, and no random input
 * verifies or throws. FUZZ_SEED=<n> replays another seed.
 */
import fc from "fast-check";
import { Authenticator } from "../../../lib/auth/authenticator";
import { parseAuthConfig } from "../../../lib/auth/policy/env";
import { REASON_NAMES } from "../../../lib/auth/policy/reasons";
import type { Verdict } from "../../../lib/auth/jws/verifier";
import type { SigningKey } from "../../../lib/dev-issuer/signer";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";
import { b64, signSegments } from "../../support/attack-kit";

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
/** `npm run fuzz` multiplies every run count (and picks a random seed). */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
fc.configureGlobal({ seed: SEED });
// eslint-disable-next-line no-console
console.log(`verifier properties: fast-check seed ${SEED} (FUZZ_SEED=${SEED} replays it), run counts x${SCALE}`);

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join("");

jest.setTimeout(60_000);

let issuer: KeyServer;
let authenticator: Authenticator;
const keys: Record<"RS256" | "EdDSA", SigningKey> = {} as Record<"RS256" | "EdDSA", SigningKey>;

beforeAll(async () => {
	issuer = await new KeyServer().start();
	keys.RS256 = issuer.addKey("RS256", "rsa-1");
	keys.EdDSA = issuer.addKey("EdDSA", "ed-1");
	// A long cooldown: kids changed by a mutation must not make every run refetch the key set.
	const config = parseAuthConfig({ JWT_ISSUER: issuer.issuer, JWT_ALGORITHMS: "RS256,EdDSA", JWKS_COOLDOWN: "600000" });
	// Default options, as the gateway runs it (a verified-token cache, if any, must not be fooled either).
	authenticator = new Authenticator(config);
	authenticator.start();
	await waitFor(() => authenticator.readiness().ready);
});

afterAll(async () => {
	authenticator.stop();
	await issuer.stop();
});

const claims = () => ({ iss: issuer.issuer, sub: "alice", scope: "read:things", iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 });

/** The verdict, which must be a typed rejection: never ok, never a throw, a known reason. */
async function expectRejected(token: string): Promise<string> {
	let verdict: Verdict;
	try {
		verdict = await authenticator.verify(token);
	} catch (err) {
		throw new Error(`verify threw for ${JSON.stringify(token.slice(0, 80))}: ${String(err)}`);
	}
	if (verdict.ok) throw new Error(`verified: ${JSON.stringify(token.slice(0, 120))}`);
	if (!REASON_NAMES.includes(verdict.reason)) throw new Error(`unknown reason ${String(verdict.reason)}`);
	return verdict.reason;
}

/** Replaces the character at `index` by another one of `alphabet` (the original is in it). */
function replaced(token: string, index: number, alphabet: string, shift: number): string {
	const from = alphabet.indexOf(token[index] as string);
	const next = alphabet[(from + 1 + (shift % (alphabet.length - 1))) % alphabet.length] as string;
	return token.slice(0, index) + next + token.slice(index + 1);
}

describe.each(["RS256", "EdDSA"] as const)("single-character changes of a valid %s token", alg => {
	let token = "";

	beforeAll(async () => {
		token = issuer.sign(keys[alg], claims());
		expect((await authenticator.verify(token)).ok).toBe(true);
	});

	it.each([
		["another base64url character", BASE64URL + ".", 3500],
		["any other printable character", PRINTABLE, 3000]
	])("never verifies when one character is replaced by %s", async (_name, alphabet, numRuns) => {
		const change = fc.record({ index: fc.nat({ max: token.length - 1 }), shift: fc.nat() });
		const seen = new Set<string>();
		await fc.assert(
			fc.asyncProperty(change, async ({ index, shift }) => {
				const mutated = replaced(token, index, alphabet, shift);
				expect(mutated).not.toBe(token);
				seen.add(await expectRejected(mutated));
			}),
			{ numRuns: numRuns * SCALE }
		);
		// Changes reached every stage: parsing, and the signature check itself.
		expect(seen).toContain("malformed");
		expect(seen).toContain("bad_signature");
	});

	it("never verifies when one character is removed or inserted", async () => {
		const edit = fc.record({ index: fc.nat({ max: token.length - 1 }), char: fc.constantFrom(...(BASE64URL + ".")), insert: fc.boolean() });
		await fc.assert(
			fc.asyncProperty(edit, async ({ index, char, insert }) => {
				await expectRejected(insert ? token.slice(0, index) + char + token.slice(index) : token.slice(0, index) + token.slice(index + 1));
			}),
			{ numRuns: 1000 * SCALE }
		);
	});
});

/** A JSON object text with its members in `order` and `gaps` of whitespace between tokens. */
function jsonWith(members: readonly (readonly [string, unknown])[], gaps: readonly string[]): string {
	let gap = 0;
	const ws = () => gaps[gap++ % Math.max(gaps.length, 1)] ?? "";
	return `{${ws()}${members.map(([name, value]) => `${JSON.stringify(name)}${ws()}:${ws()}${JSON.stringify(value)}${ws()}`).join(`,${ws()}`)}}`;
}

describe.each(["RS256", "EdDSA"] as const)("re-encoded %s header and payload", alg => {
	const whitespace = fc.array(fc.constantFrom("", " ", "\t", "\n", "\r\n", "  "), { minLength: 1, maxLength: 12 });
	const encoding = fc.record({ headerOrder: fc.nat(), payloadOrder: fc.nat(), headerGaps: whitespace, payloadGaps: whitespace, resign: fc.boolean() });

	function permuted<T>(items: readonly T[], seed: number): T[] {
		const out = [...items];
		let state = seed;
		for (let i = out.length - 1; i > 0; i--) {
			state = (state * 1103515245 + 12345) >>> 0;
			const j = state % (i + 1);
			[out[i], out[j]] = [out[j] as T, out[i] as T];
		}
		return out;
	}

	it("verifies only when re-signed; the original signature never covers another encoding", async () => {
		const key = keys[alg];
		const original = issuer.sign(key, claims());
		const [head, body, signature] = original.split(".") as [string, string, string];
		const header = Object.entries({ alg: key.alg, typ: "JWT", kid: key.kid });
		const payload = Object.entries(claims());
		await fc.assert(
			fc.asyncProperty(encoding, async ({ headerOrder, payloadOrder, headerGaps, payloadGaps, resign }) => {
				const newHead = b64(jsonWith(permuted(header, headerOrder), headerGaps));
				const newBody = b64(jsonWith(permuted(payload, payloadOrder), payloadGaps));
				if (resign) {
					const verdict = await authenticator.verify(signSegments(key, newHead, newBody));
					expect(verdict).toMatchObject({ ok: true, claims: { sub: "alice", iss: issuer.issuer } });
				} else {
					fc.pre(newHead !== head || newBody !== body);
					await expectRejected(`${newHead}.${newBody}.${signature}`);
				}
			}),
			{ numRuns: 1500 * SCALE }
		);
	});
});

describe("random input", () => {
	const b64urlText = (maxLength: number) => fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength });
	const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map(array => Buffer.from(array));
	/** Every token rejected; resolves to the set of reasons seen, to show how deep the inputs got. */
	const anyToken = async (arbitrary: fc.Arbitrary<string>, numRuns: number): Promise<Set<string>> => {
		const seen = new Set<string>();
		await fc.assert(
			fc.asyncProperty(arbitrary, async token => {
				seen.add(await expectRejected(token));
			}),
			{ numRuns: numRuns * SCALE }
		);
		return seen;
	};

	it("rejects any string", async () => {
		await anyToken(fc.string({ maxLength: 300 }), 2000);
	});

	it("rejects any string of any UTF-16 code units", async () => {
		await anyToken(fc.string({ unit: "binary", maxLength: 300 }), 1000);
	});

	it("rejects any base64 string", async () => {
		await anyToken(fc.base64String({ maxLength: 600 }), 1500);
	});

	it("rejects any three dotted base64url parts", async () => {
		const seen = await anyToken(fc.tuple(b64urlText(200), b64urlText(400), b64urlText(400)).map(parts => parts.join(".")), 2000);
		expect(seen).toContain("malformed");
	});

	it("rejects random bytes read as Latin-1 and as UTF-8", async () => {
		await anyToken(fc.tuple(bytes(600), fc.boolean()).map(([data, latin1]) => data.toString(latin1 ? "latin1" : "utf8")), 1000);
	});

	it("rejects three parts of random bytes", async () => {
		await anyToken(fc.tuple(bytes(200), bytes(400), bytes(300)).map(parts => parts.map(part => b64(part)).join(".")), 1500);
	});

	it("rejects random JSON headers and payloads that name real keys, algorithms and the issuer", async () => {
		const header = fc.record(
			{ alg: fc.constantFrom("RS256", "EdDSA", "none", "HS256", "ES256", "PS256", "RS512"), kid: fc.constantFrom("rsa-1", "ed-1", "other"), typ: fc.constantFrom("JWT", "at+jwt") },
			{ requiredKeys: ["alg"] }
		);
		const claim = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));
		const payload = fc.record(
			{ iss: fc.oneof(fc.constant("ISSUER"), claim), exp: fc.oneof(fc.constant(4102444800), claim), nbf: claim, iat: claim, aud: claim, sub: claim },
			{ requiredKeys: [] }
		);
		const signature = fc.oneof(fc.constantFrom(64, 256).chain(length => bytes(length).filter(data => data.length > 0)), bytes(300));
		const token = fc.tuple(header, payload, signature, fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })).map(([h, p, sig, extra]) => {
			const claims = { ...extra, ...p, ...(p.iss === "ISSUER" ? { iss: issuer.issuer } : {}) };
			return `${b64({ ...extra, ...h })}.${b64(claims)}.${b64(sig)}`;
		});
		const seen = await anyToken(token, 4000);
		for (const reason of ["algorithm_not_allowed", "issuer_mismatch", "unknown_key", "key_mismatch", "bad_signature"]) expect(seen).toContain(reason);
	});

	it("rejects deeply nested JSON (up to 5,000 levels, under 8 KiB) in the header or payload", async () => {
		const nesting = fc.record({ depth: fc.integer({ min: 1, max: 5000 }), object: fc.boolean(), inHeader: fc.boolean(), closed: fc.boolean() });
		// Deepest that stays under 8 KiB, so the JSON parser (not the size cap) meets every one.
		const LIMIT = { array: { open: 5000, closed: 2700 }, object: { open: 1100, closed: 850 } };
		const token = nesting.map(({ depth, object, inHeader, closed }) => {
			const levels = Math.min(depth, LIMIT[object ? "object" : "array"][closed ? "closed" : "open"]);
			const open = (object ? '{"a":' : "[").repeat(levels);
			const deep = closed ? open + (object ? `1${"}".repeat(levels)}` : "]".repeat(levels)) : open;
			const head = inHeader ? b64(`{"alg":"EdDSA","kid":"ed-1","x":${deep}}`) : b64({ alg: "EdDSA", kid: "ed-1" });
			const body = inHeader ? b64(claims()) : b64(`{"iss":${JSON.stringify(issuer.issuer)},"exp":4102444800,"x":${deep}}`);
			const result = `${head}.${body}.${b64(Buffer.alloc(64, 7))}`;
			if (result.length > 8192) throw new Error(`generator bug: ${result.length} characters`);
			return result;
		});
		expect(await anyToken(token, 400)).toEqual(new Set(["malformed", "bad_signature"]));
	});

	it("rejects huge payloads just under and over 8 KiB", async () => {
		const size = fc.record({ keys: fc.integer({ min: 1, max: 400 }), width: fc.integer({ min: 1, max: 40 }) });
		const token = size.map(({ keys: count, width }) => {
			const payload: Record<string, unknown> = { iss: issuer.issuer, exp: 4102444800 };
			for (let i = 0; i < count; i++) payload[`k${i}`] = "v".repeat(width);
			return `${b64({ alg: "RS256", kid: "rsa-1" })}.${b64(payload)}.${b64(Buffer.alloc(256, 1))}`;
		});
		expect(await anyToken(token, 400)).toEqual(new Set(["token_too_large", "bad_signature"]));
	});

	it("verifies, without throwing, a correctly signed token (under 8 KiB) whose claims nest up to 2,700 levels", async () => {
		await fc.assert(
			fc.asyncProperty(fc.integer({ min: 1, max: 2700 }), fc.constantFrom("RS256", "EdDSA") as fc.Arbitrary<"RS256" | "EdDSA">, async (depth, alg) => {
				const key = keys[alg];
				const body = `{"iss":${JSON.stringify(issuer.issuer)},"exp":4102444800,"x":${"[".repeat(depth)}${"]".repeat(depth)}}`;
				const token = signSegments(key, b64({ alg, kid: key.kid }), b64(body));
				expect(token.length).toBeLessThanOrEqual(8192);
				const verdict = await authenticator.verify(token);
				expect(verdict).toMatchObject({ ok: true });
			}),
			{ numRuns: 200 * SCALE }
		);
	});
});
