/**
 * The revocation list's settings from the environment. (config.ts calls this while it parses a
 * configuration and this module uses config.ts's ConfigError: the cycle is safe because neither
 * reads the other while it loads.)
 */
import { ConfigError, type Env } from "../policy/config";
import { DEFAULT_REVOCATION_MAX_ENTRIES, DEFAULT_REVOCATION_MAX_LIFETIME } from "./revocations";

export interface RevocationConfig {
	/** Null: entries live in the running nodes only. */
	readonly redisUrl: string | null;
	readonly maxEntries: number;
	/** Seconds. */
	readonly maxLifetime: number;
}

function whole(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = env[name]?.trim();
	if (raw === undefined || raw === "") return fallback;
	if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
		throw new ConfigError(name, `"${raw}" is not a whole number from ${min} to ${max}; unset it to use the default ${fallback}`);
	}
	return Number(raw);
}

/** The URL is never repeated in an error: it may carry a password. */
function redisUrl(env: Env): string | null {
	const raw = env.REVOCATION_REDIS_URL?.trim();
	if (raw === undefined || raw === "") return null;
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new ConfigError("REVOCATION_REDIS_URL", "is not a URL; use redis://[user:password@]host:6379[/db] or rediss:// for TLS");
	}
	if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new ConfigError("REVOCATION_REDIS_URL", "must use redis:// or rediss://");
	return raw;
}

export function parseRevocationConfig(env: Env): RevocationConfig {
	return {
		redisUrl: redisUrl(env),
		maxEntries: whole(env, "REVOCATION_MAX_ENTRIES", DEFAULT_REVOCATION_MAX_ENTRIES, 1, 10_000_000),
		maxLifetime: whole(env, "REVOCATION_MAX_LIFETIME", DEFAULT_REVOCATION_MAX_LIFETIME, 1, 31_536_000)
	};
}
