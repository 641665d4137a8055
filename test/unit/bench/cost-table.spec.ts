/** The cost table of `--costs`, from per-round CPU figures or from one instruction count per gateway. */
import { instructionCostTable } from "../../../bench/gateways";

describe("the cost table in instructions", () => {
	it("puts each default's difference between the two gateways it names in its row", () => {
		const counts = new Map([
			["A/none", 120_000],
			["A/ours", 125_500],
			["A/ours-no-metrics", 124_000],
			["A/ours-no-drain", 125_400],
			["A/ours-no-retry", 125_600],
			["A/ours-auth-only", 123_000],
			["B/ours-auth-only", 650_000],
			["B-EdDSA/ours-auth-only", 900_000],
			["A/bare", 110_000],
			["A/bare-declared", 112_500],
			["B/bare", 600_000],
			["B/bare-declared", 604_000]
		]);
		const lines = instructionCostTable(counts).split("\n");
		expect(lines[0]).toBe("| what | instructions per request | measured as |");
		const value = (what: string): string | undefined => lines.find(line => line.startsWith(`| ${what} |`))?.split("|")[2]?.trim();
		expect(value("plain moleculer-web gateway, no auth")).toBe("120,000");
		expect(value("Prometheus metrics (auth series, HTTP requests by route and status)")).toBe("1,500");
		expect(value("graceful drain on SIGTERM")).toBe("100");
		expect(value("retry on a lost node")).toBe("-100");
		expect(value("auth with a token cache hit, and the rest of the shipped process (request timeouts, the claims in the answer, the runner's config)")).toBe("3,000");
		expect(value("auth, full RS256 check (instead of a hit)")).toBe("527,000");
		expect(value("auth, full EdDSA check (instead of a hit)")).toBe("777,000");
		expect(value("a requirement of every kind on the action, A")).toBe("2,500");
		expect(value("a requirement of every kind on the action, B")).toBe("4,000");
		expect(value("ours as shipped, scenario A")).toBe("125,500");
	});

	it("says n/a where a gateway was not counted", () => {
		const lines = instructionCostTable(new Map([["A/none", 100_000]])).split("\n");
		expect(lines.find(line => line.startsWith("| graceful drain on SIGTERM |"))).toContain("| n/a |");
		expect(lines.find(line => line.startsWith("| plain moleculer-web gateway, no auth |"))).toContain("| 100,000 |");
	});
});
