/** `npm run bench`'s command line: what a run measures is what was asked for, and a typo stops it. */
import { parseArgs, SCENARIO_IDS } from "../../../bench/args";
import { roundOrder } from "../../../bench/measure";

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
