/**
 * The CI version of `npm run soak`: 10 s of mixed traffic (after its 20 s warm-up) while keys
 * rotate and the issuer goes down and up. The full 60 s run is `npm run soak`.
 */
import { soak } from "./soak";

jest.setTimeout(120_000);

it("gives no wrong answer and does not grow under 10 s of mixed traffic with rotations and outages", async () => {
	const lines: string[] = [];
	const result = await soak(10, 8, line => lines.push(line));
	process.stdout.write(`${lines.join("\n")}\n`);
	expect(result.report.requests).toBeGreaterThan(1000);
	expect(result.outages).toBeGreaterThanOrEqual(1);
	expect(result.rotations).toBeGreaterThanOrEqual(1);
	expect(result.report.wrong).toEqual([]);
	expect(result.report.unexpectedStatuses).toBe(0);
	expect(result.rssGrowthMiB).toBeLessThan(64);
});
