/**
 * Revocations kept in Redis (REVOCATION_REDIS_URL), so a gateway that starts later, or again,
 * honours them. One key per entry under the namespace's prefix, expiring when the entry may go
 * (Redis drops it then: nothing to sweep). Running nodes learn of a revocation from the bus;
 * Redis is read once at start. ioredis is an optional peer dependency of the package: it is
 * loaded only when a Redis URL is configured.
 */
import type Redis from "ioredis";
import { readRevocation, type Revocation } from "./revocations";

const SCAN_BATCH = 500;

/** SCAN's MATCH is a glob: a namespace with glob characters must match only itself. */
function globEscaped(text: string): string {
	return text.replace(/[*?[\]\\]/g, char => `\\${char}`);
}

function keyOf(revocation: Revocation): string {
	return revocation.kind === "jti" ? `jti:${revocation.jti}` : `sub:${revocation.sub}:${revocation.before}`;
}

function loadRedis(): typeof Redis {
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when asked for: an optional peer dependency
		return (require("ioredis") as { default: typeof Redis }).default;
	} catch {
		throw new Error("revocation.redisUrl (REVOCATION_REDIS_URL) needs the ioredis package: npm install ioredis");
	}
}

export class RedisRevocationStore {
	private readonly redis: Redis;
	private readonly prefix: string;

	constructor(url: string, namespace: string) {
		// One retry per command: a revocation that cannot be stored is reported, not queued forever.
		const RedisClient = loadRedis();
		this.redis = new RedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
		// The error event must have a listener or ioredis throws it; the callers see failed commands.
		this.redis.on("error", () => undefined);
		this.prefix = `jwt-revocations:${namespace === "" ? "-" : namespace}:`;
	}

	async connect(): Promise<void> {
		if (this.redis.status === "wait") await this.redis.connect();
	}

	/** Keeps the entry until `expiresAt` (epoch ms); a later `before` for a subject is its own key. */
	async save(revocation: Revocation, expiresAt: number): Promise<void> {
		const ttl = Math.max(1, Math.ceil(expiresAt - Date.now()));
		await this.redis.set(this.prefix + keyOf(revocation), JSON.stringify(revocation), "PX", ttl);
	}

	/** Every entry still kept; one that does not read as a revocation is skipped and counted. */
	async load(): Promise<{ revocations: Revocation[]; unreadable: number }> {
		const revocations: Revocation[] = [];
		let unreadable = 0;
		let cursor = "0";
		do {
			const [next, keys] = await this.redis.scan(cursor, "MATCH", `${globEscaped(this.prefix)}*`, "COUNT", SCAN_BATCH);
			cursor = next;
			const values = keys.length === 0 ? [] : await this.redis.mget(keys);
			for (const value of values) {
				if (value === null) continue;
				try {
					revocations.push(readRevocation(JSON.parse(value)));
				} catch {
					unreadable += 1;
				}
			}
		} while (cursor !== "0");
		return { revocations, unreadable };
	}

	async close(): Promise<void> {
		if (this.redis.status === "wait" || this.redis.status === "end") return;
		await this.redis.quit().catch(() => this.redis.disconnect());
	}
}
