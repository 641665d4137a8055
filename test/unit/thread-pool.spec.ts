import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runningPoolThreads, sizeThreadPool, threadPoolReport, threadPoolSize } from "../../lib/thread-pool";

describe("the size of libuv's thread pool", () => {
	it.each([
		[1, "1"],
		[2, "1"],
		[4, "3"],
		[16, "15"]
	])("is every core but one when UV_THREADPOOL_SIZE is unset (%i cores: %s)", (cores, size) => {
		expect(threadPoolSize({}, cores)).toBe(size);
	});

	it("keeps a UV_THREADPOOL_SIZE given in the environment, and treats an empty one as unset", () => {
		expect(threadPoolSize({ UV_THREADPOOL_SIZE: "8" }, 2)).toBe("8");
		expect(threadPoolSize({ UV_THREADPOOL_SIZE: " " }, 4)).toBe("3");
	});

	it("writes the size into the environment libuv reads, and leaves a given one alone", () => {
		const unset: NodeJS.ProcessEnv = {};
		const size = sizeThreadPool(unset);
		expect(unset.UV_THREADPOOL_SIZE).toBe(size);
		expect(Number(size)).toBeGreaterThanOrEqual(1);
		const given: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: "6" };
		expect(sizeThreadPool(given)).toBe("6");
		expect(given.UV_THREADPOOL_SIZE).toBe("6");
	});

	it("counts the pool's running threads by their name in /proc, and says null without /proc", () => {
		const proc = mkdtempSync(join(tmpdir(), "proc-"));
		try {
			const threads = { "1": "node", "2": "libuv-worker", "3": "V8Worker", "4": "libuv-worker" };
			for (const [task, comm] of Object.entries(threads)) {
				mkdirSync(join(proc, "task", task), { recursive: true });
				writeFileSync(join(proc, "task", task, "comm"), `${comm}\n`);
			}
			expect(runningPoolThreads(proc)).toBe(2);
			expect(runningPoolThreads(join(proc, "missing"))).toBeNull();
		} finally {
			rmSync(proc, { recursive: true, force: true });
		}
	});

	it("reports the size asked for, and warns when the pool already runs with another size", () => {
		expect(threadPoolReport({ UV_THREADPOOL_SIZE: "1" }, 0)).toEqual({ level: "info", message: "Signature checks run on libuv's thread pool: UV_THREADPOOL_SIZE=1" });
		expect(threadPoolReport({ UV_THREADPOOL_SIZE: "1" }, 1).level).toBe("info");
		expect(threadPoolReport({ UV_THREADPOOL_SIZE: "1" }, null).level).toBe("info");
		const late = threadPoolReport({ UV_THREADPOOL_SIZE: "1" }, 4);
		expect(late.level).toBe("warn");
		expect(late.message).toContain("started with 4 threads before UV_THREADPOOL_SIZE=1 was set");
		expect(threadPoolReport({}, 4).message).toContain("unset (4 threads)");
	});
});
