/**
 * Which tokens were checked lately: the token cache's admission filter, asked before the
 * token is hashed. A token enters the cache only when it is checked again within about
 * `window` to `2 × window` checks: only such a token could be found in an LRU of `window`
 * entries before it is evicted. A token used once (a gateway in front that mints one per
 * request) then costs no SHA-256, no LRU lookup, no insert, no eviction and no entry
 * surviving into V8's old generation. A token used again costs one more full verification,
 * once.
 *
 * Two generations of bits (a Bloom filter with two probes each), the newer cleared and swapped
 * every `window` checks: no allocation per check and a fixed size (twice 128 KiB for the
 * default cache). The probes are read from the token's last characters, its signature's,
 * which are random for any real signature. A false "seen" only costs the hash and lookup that
 * every token cost before; a forger choosing signatures gets no more than that.
 */
import { BASE64URL_ALPHABET } from "../jws/token";

const SEXTET = new Uint8Array(128);
for (let i = 0; i < BASE64URL_ALPHABET.length; i++) SEXTET[BASE64URL_ALPHABET.charCodeAt(i)] = i;

const MIN_BITS = 1 << 16;
const MAX_BITS = 1 << 24;
/** Bits per token of a full generation: about 0.2 % false "seen" with two probes. */
const BITS_PER_TOKEN = 32;

/**
 * 24 bits from the four characters of `token` that end `end` characters before its end. A
 * signature's last character carries only 2 or 4 bits (its length is not a multiple of 3
 * bytes), so the probes skip it. Past the start of a short token, charCodeAt is NaN: 0.
 */
function bitsAt(token: string, end: number): number {
	const from = token.length - end - 4;
	return (
		((SEXTET[token.charCodeAt(from) & 127] as number) << 18) |
		((SEXTET[token.charCodeAt(from + 1) & 127] as number) << 12) |
		((SEXTET[token.charCodeAt(from + 2) & 127] as number) << 6) |
		(SEXTET[token.charCodeAt(from + 3) & 127] as number)
	);
}

function has(bits: Uint32Array, index: number): boolean {
	return ((bits[index >>> 5] as number) & (1 << (index & 31))) !== 0;
}

function mark(bits: Uint32Array, index: number): void {
	bits[index >>> 5] = (bits[index >>> 5] as number) | (1 << (index & 31));
}

export class RecentTokens {
	private current: Uint32Array;
	private previous: Uint32Array;
	private readonly mask: number;
	private marked = 0;

	constructor(private readonly window: number) {
		let bits = MIN_BITS;
		while (bits < window * BITS_PER_TOKEN && bits < MAX_BITS) bits *= 2;
		this.mask = bits - 1;
		this.current = new Uint32Array(bits / 32);
		this.previous = new Uint32Array(bits / 32);
	}

	/** Whether `token` was seen lately; from now on it has been. */
	seenBefore(token: string): boolean {
		const first = bitsAt(token, 1) & this.mask;
		const second = bitsAt(token, 5) & this.mask;
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
