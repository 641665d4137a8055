/**
 * The token cache's admission filter: a token counts as seen for at least `window` and at most
 * `2 × window` checks after it, a token never seen is rarely taken for one seen, and any
 * string, however short or strange, gets an answer.
 */
import { randomBytes } from "node:crypto";
import { RecentTokens } from "../../../lib/auth/cache/recent-tokens";

/** Token-shaped strings that differ in their RS256-sized signatures only. */
const tokens = (count: number): string[] => Array.from({ length: count }, () => `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.${randomBytes(256).toString("base64url")}`);

describe("recent tokens", () => {
	it("answers not seen the first time and seen the next", () => {
		const recent = new RecentTokens(1000);
		const [a, b] = tokens(2) as [string, string];
		expect([recent.seenBefore(a), recent.seenBefore(a), recent.seenBefore(b), recent.seenBefore(a)]).toEqual([false, true, false, true]);
	});

	it("remembers a token through `window` other tokens, and forgets it after twice as many", () => {
		const window = 500;
		const recent = new RecentTokens(window);
		const [kept, forgotten] = tokens(2) as [string, string];
		const others = tokens(2 * window);
		recent.seenBefore(kept);
		for (const other of others.slice(0, window - 1)) recent.seenBefore(other);
		expect(recent.seenBefore(kept)).toBe(true);

		recent.seenBefore(forgotten);
		for (const other of others) recent.seenBefore(other);
		expect(recent.seenBefore(forgotten)).toBe(false);
	});

	it("takes few new tokens for seen ones, with its generations full", () => {
		const window = 20_000;
		const recent = new RecentTokens(window);
		for (const token of tokens(2 * window)) recent.seenBefore(token);
		const falseSeen = tokens(10_000).filter(token => recent.seenBefore(token)).length;
		// Two generations of 2^20 bits, 20,000 tokens each, two probes: about 0.3 % expected.
		expect(falseSeen).toBeLessThan(100);
	});

	it("takes a fixed size: two generations of 32 bits per token of the window, a power of two from 2^16 to 2^24 bits", () => {
		// The bound is the point of a Bloom filter here: the cache's memory must not grow with a
		// flood of tokens, nor past 2 x 2 MiB with a large tokenCacheSize.
		const bytesOf = (window: number): number => {
			const before = process.memoryUsage().arrayBuffers;
			const recent = new RecentTokens(window);
			const grown = process.memoryUsage().arrayBuffers - before;
			recent.seenBefore("keeps it alive until measured");
			return grown;
		};
		const KiB = 1024;
		// 2048 and 2^15 tokens need exactly 2^16 and 2^20 bits; 2^19 exactly the cap, 2^20 past it.
		expect([1000, 2048, 2049, 20_000, 1 << 15, 1 << 19, 1 << 20].map(bytesOf)).toEqual([16, 16, 32, 256, 256, 4096, 4096].map(size => size * KiB));
	});

	it("answers for strings too short to probe, or outside base64url, without throwing", () => {
		const recent = new RecentTokens(1000);
		const odd = ["", "a", "a.b.c", "\u{1F600}".repeat(20), "\0\n\t.%%%%%%%%%%"];
		expect(odd.map(text => typeof recent.seenBefore(text))).toEqual(odd.map(() => "boolean"));
		// Both probes of a string shorter than their reach fall before its start: it is seen again.
		expect(recent.seenBefore("a")).toBe(true);
	});
});
