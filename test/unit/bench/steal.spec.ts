/** The bench's reading of the hypervisor's steal, which decides whether a round is taken again. */
import { stealShare, stealTimes } from "../../../bench/report";

describe("steal", () => {
	it("is the stolen share of the machine's time between two readings", () => {
		expect(stealShare({ steal: 10, total: 1000 }, { steal: 40, total: 1200 })).toBeCloseTo(0.15);
		expect(stealShare({ steal: 10, total: 1000 }, { steal: 10, total: 1200 })).toBe(0);
		// No time passed, or /proc/stat unreadable on both sides: nothing stolen.
		expect(stealShare({ steal: 5, total: 1000 }, { steal: 5, total: 1000 })).toBe(0);
		expect(stealShare({ steal: 0, total: 0 }, { steal: 0, total: 0 })).toBe(0);
	});

	it("reads the machine's counters from /proc/stat on Linux, where time goes on", () => {
		if (process.platform !== "linux") {
			expect(stealTimes()).toEqual({ steal: 0, total: 0 });
			return;
		}
		const first = stealTimes();
		const busyUntil = Date.now() + 50;
		while (Date.now() < busyUntil) {
			// let the machine's counters move
		}
		const second = stealTimes();
		expect(first.total).toBeGreaterThan(0);
		expect(first.steal).toBeGreaterThanOrEqual(0);
		expect(first.steal).toBeLessThanOrEqual(first.total);
		expect(second.total).toBeGreaterThan(first.total);
		const share = stealShare(first, second);
		expect(share).toBeGreaterThanOrEqual(0);
		expect(share).toBeLessThanOrEqual(1);
	});
});
