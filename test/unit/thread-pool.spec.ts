import { sizeThreadPool, threadPoolSize } from "../../lib/thread-pool";

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
});
