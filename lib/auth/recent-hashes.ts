/**
 * Which token hashes were seen lately: the token cache's admission filter. A token enters the
 * cache only the second time it is verified within about `window` to `2 × window` verifications:
 * only such a token could be found in an LRU of `window` entries before it is evicted. A token
 * used once (a gateway in front that mints one per request; scenario B of npm run bench) then
 * costs no insert, no eviction and no entry surviving into V8's old generation, which cost
 * scenario B about a sixth of its throughput. A token used again costs one more full
 * verification, once.
 *
 * Two generations of bits (a Bloom filter with two probes each), the newer cleared and swapped
 * every `window` hashes: no allocation per hash and a fixed size (twice 128 KiB for the default
 * cache). A false "seen" only admits a verified token to the cache a request early.
 */
import { BASE64URL_ALPHABET } from "./token";

const SEXTET = new Uint8Array(128);
for (let i = 0; i < BASE64URL_ALPHABET.length; i++) SEXTET[BASE64URL_ALPHABET.charCodeAt(i)] = i;

const MIN_BITS = 1 << 16;
const MAX_BITS = 1 << 24;
/** Bits per hash of a full generation: about 0.2 % false "seen" with two probes. */
const BITS_PER_HASH = 32;

/** 24 bits from four base64url characters of a SHA-256 hash, which are uniformly random. */
function bitsAt(hash: string, from: number): number {
	return (
		((SEXTET[hash.charCodeAt(from) & 127] as number) << 18) |
		((SEXTET[hash.charCodeAt(from + 1) & 127] as number) << 12) |
		((SEXTET[hash.charCodeAt(from + 2) & 127] as number) << 6) |
		(SEXTET[hash.charCodeAt(from + 3) & 127] as number)
	);
}

function has(bits: Uint32Array, index: number): boolean {
	return ((bits[index >>> 5] as number) & (1 << (index & 31))) !== 0;
}

function mark(bits: Uint32Array, index: number): void {
	bits[index >>> 5] = (bits[index >>> 5] as number) | (1 << (index & 31));
}

export class RecentHashes {
	private current: Uint32Array;
	private previous: Uint32Array;
	private readonly mask: number;
	private marked = 0;

	/** `hash`es are base64url SHA-256 digests (TokenCache.keyOf). */
	constructor(private readonly window: number) {
		let bits = MIN_BITS;
		while (bits < window * BITS_PER_HASH && bits < MAX_BITS) bits *= 2;
		this.mask = bits - 1;
		this.current = new Uint32Array(bits / 32);
		this.previous = new Uint32Array(bits / 32);
	}

	/** Whether `hash` was seen lately; from now on it has been. */
	seenBefore(hash: string): boolean {
		const first = bitsAt(hash, 0) & this.mask;
		const second = bitsAt(hash, 4) & this.mask;
		const seen = (has(this.current, first) && has(this.current, second)) || (has(this.previous, first) && has(this.previous, second));
		mark(this.current, first);
		mark(this.current, second);
		if (++this.marked >= this.window) {
			const older = this.previous;
			this.previous = this.current;
			this.current = older.fill(0);
			this.marked = 0;
		}
		return seen;
	}
}
