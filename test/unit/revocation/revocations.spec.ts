import { InvalidRevocationError, readRevocation, revocationOf, RevocationList, RevocationListFullError } from "../../../lib/auth/revocation/revocations";

const T0 = 1_800_000_000_000;

function list(maxEntries = 10, maxLifetime = 3600) {
	const clock = { now: T0 };
	return { clock, revocations: new RevocationList({ maxEntries, maxLifetime, clockTolerance: 5, now: () => clock.now }) };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

describe("the revocation list", () => {
	it("is empty (count 0) until an entry is added", () => {
		const { revocations } = list();
		expect(revocations.count).toBe(0);
		expect(revocations.matches({ jti: "a", sub: "alice" })).toBe(false);
		revocations.add({ kind: "jti", jti: "a", at: T0 });
		expect(revocations.count).toBe(1);
	});

	it("matches a token by jti, and only that jti", () => {
		const { revocations } = list();
		revocations.add({ kind: "jti", jti: "a", at: T0 });
		expect(revocations.matches({ jti: "a", sub: "x" })).toBe(true);
		expect(revocations.matches({ jti: "b", sub: "x" })).toBe(false);
	});

	it("matches a subject's tokens issued at or before `before`, and its tokens without iat", () => {
		const { revocations } = list();
		revocations.add({ kind: "sub", sub: "alice", at: T0, before: seconds(T0) });
		expect(revocations.matches({ sub: "alice", iat: seconds(T0) - 10 })).toBe(true);
		expect(revocations.matches({ sub: "alice", iat: seconds(T0) })).toBe(true);
		expect(revocations.matches({ sub: "alice" })).toBe(true);
		expect(revocations.matches({ sub: "alice", iat: seconds(T0) + 1 })).toBe(false);
		expect(revocations.matches({ sub: "bob", iat: seconds(T0) - 10 })).toBe(false);
	});

	it("widens a subject's entry to the later `before` and never narrows it", () => {
		const { revocations } = list();
		revocations.add({ kind: "sub", sub: "alice", at: T0, before: seconds(T0) });
		revocations.add({ kind: "sub", sub: "alice", at: T0, before: seconds(T0) + 100 });
		revocations.add({ kind: "sub", sub: "alice", at: T0, before: seconds(T0) - 100 });
		expect(revocations.matches({ sub: "alice", iat: seconds(T0) + 50 })).toBe(true);
		expect(revocations.count).toBe(1);
	});

	it("keeps a jti with exp until exp plus the clock tolerance", () => {
		const { clock, revocations } = list();
		revocations.add({ kind: "jti", jti: "a", at: T0, exp: seconds(T0) + 60 });
		clock.now = T0 + 64_000;
		expect(revocations.sweep()).toBe(0);
		clock.now = T0 + 65_000;
		expect(revocations.sweep()).toBe(1);
		expect(revocations.count).toBe(0);
	});

	it("keeps an entry without exp for maxLifetime until a token is seen, then for the longest lifetime seen", () => {
		const { clock, revocations } = list(10, 3600);
		revocations.add({ kind: "jti", jti: "a", at: T0 });
		clock.now = T0 + 600_000;
		expect(revocations.sweep()).toBe(0);
		// The longest token this node verified lives 300 s: an entry older than that (plus tolerance) can go.
		revocations.observe({ iat: seconds(T0), exp: seconds(T0) + 300 });
		expect(revocations.sweep()).toBe(1);
	});

	it("never keeps an entry longer than maxLifetime, whatever lifetime a token claims", () => {
		const { clock, revocations } = list(10, 3600);
		revocations.observe({ iat: seconds(T0), exp: seconds(T0) + 10 * 86_400 });
		revocations.add({ kind: "sub", sub: "alice", at: T0, before: seconds(T0) });
		clock.now = T0 + 3_605_000;
		expect(revocations.sweep()).toBe(1);
	});

	it("does not add an entry that is already past its bound", () => {
		const { revocations } = list();
		expect(revocations.add({ kind: "jti", jti: "old", at: T0, exp: seconds(T0) - 60 })).toBe(false);
		expect(revocations.count).toBe(0);
	});

	it("refuses a new entry when full, rather than dropping one, after sweeping what has expired", () => {
		const { clock, revocations } = list(2);
		revocations.add({ kind: "jti", jti: "a", at: T0, exp: seconds(T0) + 10 });
		revocations.add({ kind: "jti", jti: "b", at: T0 });
		expect(() => revocations.add({ kind: "jti", jti: "c", at: T0 })).toThrow(RevocationListFullError);
		expect(revocations.matches({ jti: "a" }) && revocations.matches({ jti: "b" })).toBe(true);
		// Updating a held entry needs no room.
		expect(revocations.add({ kind: "jti", jti: "b", at: T0 + 1 })).toBe(true);
		clock.now = T0 + 20_000;
		expect(revocations.add({ kind: "jti", jti: "c", at: clock.now })).toBe(true);
		expect(revocations.matches({ jti: "a" })).toBe(false);
		expect(revocations.count).toBe(2);
	});
});

describe("revocations from parameters and from the bus", () => {
	it("makes { jti } and { sub, before? } entries, before defaulting to now", () => {
		expect(revocationOf({ jti: "a" }, T0)).toEqual({ kind: "jti", jti: "a", at: T0 });
		expect(revocationOf({ jti: "a", exp: 5 }, T0)).toEqual({ kind: "jti", jti: "a", at: T0, exp: 5 });
		expect(revocationOf({ sub: "alice" }, T0)).toEqual({ kind: "sub", sub: "alice", at: T0, before: seconds(T0) });
		expect(revocationOf({ sub: "alice", before: 7 }, T0)).toEqual({ kind: "sub", sub: "alice", at: T0, before: 7 });
	});

	it.each([[{}], [{ jti: "a", sub: "b" }], [{ jti: "a", before: 1 }], [{ sub: "a", exp: 1 }], [{ jti: "" }], [{ jti: "x".repeat(257) }], [{ sub: "a", before: 1.5 }], [{ sub: "a", before: -1 }]])(
		"refuses %p",
		params => {
			expect(() => revocationOf(params, T0)).toThrow(InvalidRevocationError);
		}
	);

	it("reads only well-formed revocations off the bus", () => {
		expect(readRevocation({ kind: "sub", sub: "a", at: T0, before: 1 })).toEqual({ kind: "sub", sub: "a", at: T0, before: 1 });
		for (const bad of [null, "x", { kind: "all" }, { kind: "jti", jti: 5, at: T0 }, { kind: "sub", sub: "a", at: T0 }, { kind: "jti", jti: "a" }]) {
			expect(() => readRevocation(bad)).toThrow(InvalidRevocationError);
		}
	});
});
