/**
 * TokenCache on its own, on a clock the test moves: the edges of an entry's life (its deadline
 * to the millisecond, an entry refused once, one that must not displace another) that the
 * Authenticator-level specs cannot reach without waiting, and a cache with no listeners.
 */
import { generateKeyPairSync } from "node:crypto";
import { TokenCache, type CachedVerification } from "../../../lib/auth/cache/token-cache";
import type { VerificationKey } from "../../../lib/auth/keys/key-set";

const key: VerificationKey = { kid: "a", key: generateKeyPairSync("ed25519").publicKey, algorithms: new Set(["EdDSA"]) };

/** A verification made at `verifiedAt` of a token that expires at `expMs` (whole seconds). */
function entry(sub: string, verifiedAt: number, expMs: number): CachedVerification {
	const claims = { sub, exp: expMs / 1000 };
	return {
		verified: { ok: true, claims, header: { alg: "EdDSA", kid: "a" }, issuer: "https://issuer.example", kid: "a", alg: "EdDSA", key },
		times: { exp: claims.exp, nbf: undefined, iat: undefined },
		verifiedAt
	};
}

const trusted = (): boolean => true;
const withdrawn = (): boolean => false;

describe("TokenCache", () => {
	let now: number;
	let counts: { hit: number; miss: number };
	const cache = (max = 10) => new TokenCache(max, { hit: () => counts.hit++, miss: () => counts.miss++ }, () => now);

	beforeEach(() => {
		now = 1_700_000_000_000;
		counts = { hit: 0, miss: 0 };
	});

	it("answers without listeners: hits, misses and the connection's memo need none", () => {
		// An Authenticator given no `events` builds its cache this way.
		const quiet = new TokenCache(10);
		const fresh = entry("alice", Date.now(), Date.now() + 3_600_000);
		expect(quiet.seenLately("token")).toBe(false);
		quiet.set("h", fresh);
		expect(quiet.get("h", trusted)).toBe(fresh);
		expect(quiet.get("h", withdrawn)).toBeUndefined();
		const connection = {};
		quiet.remember(connection, "Bearer token", fresh);
		expect(quiet.recall(connection, "Bearer token", trusted)).toBe(fresh);
	});

	it("forgets an entry refused once: a key trusted again does not bring it back", () => {
		const tokens = cache();
		tokens.set("h", entry("alice", now, now + 3_600_000));
		expect(tokens.get("h", withdrawn)).toBeUndefined();
		expect(tokens.get("h", trusted)).toBeUndefined();
		expect(counts).toEqual({ hit: 0, miss: 2 });
	});

	it("drops an entry on delete (a hit whose time rules fail now)", () => {
		const tokens = cache();
		tokens.set("h", entry("alice", now, now + 3_600_000));
		tokens.delete("h");
		expect(tokens.get("h", trusted)).toBeUndefined();
		expect(counts).toEqual({ hit: 0, miss: 1 });
	});

	it("counts an entry until its deadline, not at it: the token's exp or ten minutes after its check", () => {
		const tokens = cache();
		tokens.set("exp", entry("short", now, now + 60_000));
		tokens.set("ttl", entry("long", now, now + 3_600_000));
		now += 60_000 - 1;
		expect(tokens.get("exp", trusted)?.verified.claims.sub).toBe("short");
		now += 1;
		expect(tokens.get("exp", trusted)).toBeUndefined();
		now += 9 * 60_000 - 1;
		expect(tokens.get("ttl", trusted)?.verified.claims.sub).toBe("long");
		now += 1;
		expect(tokens.get("ttl", trusted)).toBeUndefined();
	});

	it("does not keep a verification already at its deadline, so it evicts nothing", () => {
		// A token within the clock tolerance of its exp verifies, yet is past its deadline.
		const tokens = cache(1);
		tokens.set("kept", entry("alice", now, now + 3_600_000));
		tokens.set("late", entry("bob", now, now));
		tokens.set("older", entry("carol", now - 10 * 60_000, now + 3_600_000));
		expect(tokens.get("kept", trusted)?.verified.claims.sub).toBe("alice");
		expect(counts).toEqual({ hit: 1, miss: 0 });
	});

	describe("the connection's memo", () => {
		const connection = {};

		it("answers until the deadline, not at it", () => {
			const tokens = cache();
			tokens.remember(connection, "Bearer t", entry("alice", now, now + 60_000));
			now += 60_000 - 1;
			expect(tokens.recall(connection, "Bearer t", trusted)?.verified.claims.sub).toBe("alice");
			now += 1;
			expect(tokens.recall(connection, "Bearer t", trusted)).toBeUndefined();
			expect(counts).toEqual({ hit: 1, miss: 0 });
		});

		it("forgets a verification refused once: a key trusted again does not bring it back", () => {
			const tokens = cache();
			tokens.remember(connection, "Bearer t", entry("alice", now, now + 3_600_000));
			expect(tokens.recall(connection, "Bearer t", withdrawn)).toBeUndefined();
			expect(tokens.recall(connection, "Bearer t", trusted)).toBeUndefined();
			expect(counts.hit).toBe(0);
		});

		it("keeps what it holds when given a verification already at its deadline", () => {
			const tokens = cache();
			tokens.remember(connection, "Bearer alice", entry("alice", now, now + 3_600_000));
			tokens.remember(connection, "Bearer bob", entry("bob", now, now));
			tokens.remember(connection, "Bearer carol", entry("carol", now - 10 * 60_000, now + 3_600_000));
			expect(tokens.recall(connection, "Bearer alice", trusted)?.verified.claims.sub).toBe("alice");
		});
	});
});
