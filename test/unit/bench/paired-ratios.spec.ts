/** Ours against the plain gateway round by round, beside the ratio (or the difference) of the medians. */
import { fixedRateLine, pairedRatioLines, type Round, type Row } from "../../../bench/report";

function round(rps: number): Round {
	const load = { requests: rps * 5, duration: 5, rps, p50: 1, p99: 2, max: 3, non2xx: 0, errors: 0, statusCodes: {}, cpu: 0.3 };
	return { load, rss: 1, gatewayCpu: 1, otherCpu: 0, steal: 0 };
}

function row(scenario: string, gateway: string, rates: number[]): Row {
	return { scenario, gateway, rounds: rates.map(round), tokensSent: 0 };
}

describe("paired ratios", () => {
	it("divides ours by plain within each round and gives their median", () => {
		const rows = [row("A", "none", [16_000, 20_000, 19_600, 15_600, 18_600]), row("A", "ours", [16_640, 20_400, 16_268, 15_756, 13_950]), row("A", "recipe", [3000, 3000, 3000, 3000, 3000])];
		const lines = pairedRatioLines(rows, [{ id: "A", title: "one RS256 token", gateways: ["none", "ours", "recipe"] }]);
		expect(lines).toEqual(["", "| scenario | ours / plain, round by round (req/s) | median of those |", "|---|---|---:|", "| A | 1.04, 1.02, 0.83, 1.01, 0.75 | 1.01 |"]);
	});

	it("leaves out a scenario without both gateways", () => {
		const lines = pairedRatioLines([row("B", "none", [10_000])], [{ id: "B", title: "tokens", gateways: ["none"] }]);
		expect(lines).toHaveLength(3);
	});

	it("shows the p99 added at the fixed rate as the difference of the medians, and round by round with their median", () => {
		const side = (p99: number) => ({ p50: 0.5, p99, rounds: [] });
		const line = fixedRateLine({ rate: 5000, none: side(4), ours: side(6.5), addedP99: 2.5, addedP99ByRound: [-0.3, 0.2, 3.1] });
		expect(line).toContain("p99 added by auth: 2.50 ms (round by round: -0.30, 0.20, 3.10; median of those 0.20 ms)");
	});
});
