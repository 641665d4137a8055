/**
 * The size of libuv's thread pool, where signature checks run (lib/auth/signature.ts). Node's
 * default of 4 threads does not fit a gateway: on 2 cores, 4 busy pool threads take CPU from
 * the event loop that parses and answers every request (scenario B of `npm run bench` served
 * about a quarter more with 1 thread than with 4); on 8 cores, 4 threads leave cores idle.
 * So the pool gets every core but one, which the event loop keeps.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the pool first starts: this must run before
 * anything uses the pool. moleculer.config.ts does it as moleculer-runner loads it, before the
 * services. A UV_THREADPOOL_SIZE already in the environment is left as it is.
 */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** What UV_THREADPOOL_SIZE should be: the one given, or the cores but one (at least 1). */
export function threadPoolSize(env: Readonly<Record<string, string | undefined>>, cores: number = availableParallelism()): string {
	const given = env.UV_THREADPOOL_SIZE;
	if (given !== undefined && given.trim() !== "") return given;
	return String(Math.max(1, cores - 1));
}

/** Sets UV_THREADPOOL_SIZE in this process's environment when it is not set; returns the value in effect. */
export function sizeThreadPool(env: NodeJS.ProcessEnv = process.env): string {
	const size = threadPoolSize(env);
	env.UV_THREADPOOL_SIZE = size;
	return size;
}

/**
 * Threads of libuv's pool already running in this process (libuv names them `libuv-worker`),
 * read from /proc; 0 before the pool starts, null where there is no /proc to read.
 */
export function runningPoolThreads(procSelf = "/proc/self"): number | null {
	try {
		const tasks = readdirSync(`${procSelf}/task`);
		return tasks.filter(task => readFileSync(`${procSelf}/task/${task}/comm`, "utf8").trim() === "libuv-worker").length;
	} catch {
		return null;
	}
}

/**
 * The start-up log line about the pool: the size asked for, and a warning when the pool was
 * already running with another size (something used it before moleculer.config.ts ran, as
 * tsx's loader does under `npm run dev`): then only the environment can size it.
 */
export function threadPoolReport(env: Readonly<Record<string, string | undefined>>, running: number | null): { level: "info" | "warn"; message: string } {
	const asked = env.UV_THREADPOOL_SIZE;
	if (asked === undefined) return { level: "info", message: "Signature checks run on libuv's thread pool: UV_THREADPOOL_SIZE unset (4 threads)" };
	if (running === null || running === 0 || running === Number(asked)) {
		return { level: "info", message: `Signature checks run on libuv's thread pool: UV_THREADPOOL_SIZE=${asked}` };
	}
	return {
		level: "warn",
		message: `libuv's thread pool started with ${running} threads before UV_THREADPOOL_SIZE=${asked} was set; set it in the environment to size the pool`
	};
}
