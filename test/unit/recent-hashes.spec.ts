/**
 * The token cache's admission filter: a hash counts as seen for at least `window` and at most
 * `2 × window` hashes after it, and a hash never seen is rarely taken for one seen.
 */
import { randomBytes } from "node:crypto";
import { RecentHashes } from "../../lib/auth/recent-hashes";
import { TokenCache } from "../../lib/auth/token-cache";

const hashes = (count: number): string[] => Array.from({ length: count }, () => TokenCache.keyOf(randomBytes(16).toString("hex")));

describe("recent hashes", () => {
	it("answers not seen the first time and seen the next", () => {
		const recent = new RecentHashes(1000);
		const [a, b] = hashes(2) as [string, string];
		expect([recent.seenBefore(a), recent.seenBefore(a), recent.seenBefore(b), recent.seenBefore(a)]).toEqual([false, true, false, true]);
	});

	it("remembers a hash through `window` other hashes, and forgets it after twice as many", () => {
		const window = 500;
		const recent = new RecentHashes(window);
		const [kept, forgotten] = hashes(2) as [string, string];
		const others = hashes(2 * window);
		recent.seenBefore(kept);
		for (const other of others.slice(0, window - 1)) recent.seenBefore(other);
		expect(recent.seenBefore(kept)).toBe(true);

		recent.seenBefore(forgotten);
		for (const other of others) recent.seenBefore(other);
		expect(recent.seenBefore(forgotten)).toBe(false);
	});

	it("takes few new hashes for seen ones, with its generations full", () => {
		const window = 20_000;
		const recent = new RecentHashes(window);
		for (const hash of hashes(2 * window)) recent.seenBefore(hash);
		const falseSeen = hashes(10_000).filter(hash => recent.seenBefore(hash)).length;
		// Two generations of 2^20 bits, 20,000 hashes each, two probes: about 0.3 % expected.
		expect(falseSeen).toBeLessThan(100);
	});
});
