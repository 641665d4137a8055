/** `npm run bench`'s command line: what a run measures is what was asked for, and a typo stops it. */
import { parseArgs, SCENARIO_IDS } from "../../../bench/args";
import { combined, roundOrder, slicesOf } from "../../../bench/measure";
import type { Round } from "../../../bench/report";

describe("bench arguments", () => {
	it("runs every scenario by default, in their order", () => {
		expect(parseArgs([]).scenarios).toEqual(["A", "B", "B-EdDSA"]);
		expect(parseArgs(["--smoke"]).scenarios).toEqual(SCENARIO_IDS);
	});

	it("runs only the scenarios listed, in the usual order whatever the order given", () => {
		expect(parseArgs(["--scenarios", "A"]).scenarios).toEqual(["A"]);
		expect(parseArgs(["--scenarios=B-EdDSA,A"]).scenarios).toEqual(["A", "B-EdDSA"]);
		expect(parseArgs(["--scenarios", " B , A "]).scenarios).toEqual(["A", "B"]);
	});

	it("stops on an unknown scenario or an empty list, naming the option", () => {
		expect(() => parseArgs(["--scenarios", "A,C"])).toThrow(/^--scenarios takes a comma-separated list of A, B, B-EdDSA, got A,C/);
		expect(() => parseArgs(["--scenarios", ""])).toThrow(/^--scenarios takes/);
		expect(() => parseArgs(["--scenarios"])).toThrow(/^--scenarios takes .* got nothing/);
	});

	it("keeps the other options as they were", () => {
		const args = parseArgs(["--rounds", "3", "--duration=2", "--costs"]);
		expect([args.rounds, args.duration, args.costs, args.smoke]).toEqual([3, 2, true, false]);
		expect(() => parseArgs(["--rounds", "0"])).toThrow(/--rounds needs a positive whole number, got 0/);
		expect(() => parseArgs(["--scenario", "A"])).toThrow(/unknown option --scenario/);
	});
});

describe("slices of a measurement", () => {
	it("cuts the default 5 s measurement into 1 s slices, and --slice equal to --duration into one", () => {
		expect(slicesOf(parseArgs([]))).toBe(5);
		expect(slicesOf(parseArgs(["--duration", "6", "--slice", "2"]))).toBe(3);
		expect(slicesOf(parseArgs(["--duration", "5", "--slice", "5"]))).toBe(1);
		expect(slicesOf(parseArgs(["--smoke"]))).toBe(1);
	});

	it("refuses a slice longer than the measurement", () => {
		expect(() => parseArgs(["--duration", "2", "--slice", "3"])).toThrow(/--slice \(3 s\) cannot be longer than --duration \(2 s\)/);
		expect(() => parseArgs(["--slice", "0"])).toThrow(/--slice needs a positive number, got 0/);
	});

	const slice = (requests: number, duration: number, p99: number, gatewayCpu: number, rss: number): Round => ({
		load: { requests, duration, rps: requests / duration, p50: p99 / 2, p99, max: p99 * 2, non2xx: 1, errors: 0, statusCodes: { "200": requests - 1, "401": 1 }, cpu: 0.4 },
		rss,
		gatewayCpu,
		otherCpu: 0,
		steal: gatewayCpu / 10
	});

	it("makes one round of a gateway's slices: requests over their time, not the mean of their rates", () => {
		const round = combined([slice(10_000, 1, 4, 1, 100), slice(30_000, 2, 2, 0.5, 120), slice(20_000, 1, 3, 1, 110)]);
		expect(round.load.requests).toBe(60_000);
		expect(round.load.duration).toBe(4);
		expect(round.load.rps).toBe(15_000);
		expect([round.load.p99, round.load.max, round.load.non2xx]).toEqual([3, 8, 3]);
		expect(round.load.statusCodes).toEqual({ "200": 59_997, "401": 3 });
		expect(round.gatewayCpu).toBeCloseTo(0.75);
		expect(round.steal).toBeCloseTo(0.075);
		expect(round.rss).toBe(110);
	});

	it("gives a paced round the percentiles of all its slices' requests together, and keeps no latencies", () => {
		const paced = (latencies: number[]): Round => {
			const base = slice(latencies.length, 1, 0, 1, 100);
			return { ...base, load: { ...base.load, p50: -1, p99: -1, max: -1, latencies } };
		};
		// 200 requests: 198 fast ones in the first slice, two slow ones in the second. The medians of
		// the slices' p99s would read 1 ms; the round's own p99 is the slow 9 ms.
		const fast = Array.from({ length: 198 }, (_, i) => (i % 2 === 0 ? 0.5 : 1));
		const round = combined([paced(fast), paced([9, 12])]);
		expect([round.load.p50, round.load.p99, round.load.max]).toEqual([1, 9, 12]);
		expect(round.load.latencies).toBeUndefined();
		const alone = combined([paced([3, 1, 2].sort((a, b) => a - b))]);
		expect([alone.load.p50, alone.load.max, alone.load.latencies]).toEqual([2, 3, undefined]);
	});

	it("keeps a single slice as it is, and refuses none", () => {
		const one = slice(5, 1, 1, 1, 1);
		expect(combined([one])).toBe(one);
		expect(() => combined([])).toThrow(/at least one slice/);
	});
});

describe("the order of the gateways in a round", () => {
	it("turns by one place each round, so every gateway takes every place", () => {
		const gateways = ["none", "none-metrics", "recipe", "ours"];
		const rounds = [1, 2, 3, 4, 5].map(round => roundOrder(gateways, round));
		expect(rounds).toEqual([
			["none", "none-metrics", "recipe", "ours"],
			["none-metrics", "recipe", "ours", "none"],
			["recipe", "ours", "none", "none-metrics"],
			["ours", "none", "none-metrics", "recipe"],
			["none", "none-metrics", "recipe", "ours"]
		]);
		expect(roundOrder(["none", "ours"], 2)).toEqual(["ours", "none"]);
		expect(roundOrder([], 3)).toEqual([]);
	});
});
