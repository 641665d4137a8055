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
