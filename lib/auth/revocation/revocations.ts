/**
 * Revoked tokens (by `jti`) and subjects (by `sub`, for tokens issued at or before a time),
 * checked after a token has been verified, from the cache and the connection memo too.
 *
 * The hot path reads `count` first: with no entry (the usual state) a verdict costs one
 * comparison more. An entry is kept only while a token it matches can still be valid: until
 * its `exp` when the revocation names one, otherwise the revocation (or `before`) plus the
 * longest lifetime of any token this node has verified (`exp - iat`, or `exp` minus the time of
 * the check), never longer than `maxLifetime`. Until a token has been seen the bound is
 * `maxLifetime`. Entries are bounded in count: a full list refuses a new entry rather than
 * dropping one (dropping would silently un-revoke a token).
 */
import { Errors } from "moleculer";
import type { JsonObject } from "../jws/token";

export const DEFAULT_REVOCATION_MAX_ENTRIES = 100_000;
/** Seconds. */
export const DEFAULT_REVOCATION_MAX_LIFETIME = 86_400;
/** jti and sub are at most this long: a bound on each entry's memory. */
export const MAX_REVOKED_ID_LENGTH = 256;

/** What crosses the bus (event `jwt.revoked`) and is kept in Redis. `at` is epoch ms. */
export type Revocation =
	| { readonly kind: "jti"; readonly jti: string; readonly at: number; readonly exp?: number }
	| { readonly kind: "sub"; readonly sub: string; readonly at: number; readonly before: number };

export interface RevocationOptions {
	readonly maxEntries: number;
	/** Seconds: the longest a token can be valid; entries never outlive it. */
	readonly maxLifetime: number;
	/** Seconds of leeway the verifier gives `exp`: a token is valid that much longer. */
	readonly clockTolerance: number;
	readonly now?: () => number;
}

export class RevocationListFullError extends Errors.MoleculerError {
	constructor(maxEntries: number) {
		super(`The revocation list holds ${maxEntries} entries (REVOCATION_MAX_ENTRIES); revoke by subject instead, or raise the bound`, 507, "REVOCATION_LIST_FULL", { maxEntries });
	}
}

export class InvalidRevocationError extends Errors.MoleculerClientError {
	constructor(detail: string) {
		super(`Invalid revocation: ${detail}`, 422, "INVALID_REVOCATION", { detail });
	}
}

function id(value: unknown, name: string): string {
	if (typeof value !== "string" || value.length === 0 || value.length > MAX_REVOKED_ID_LENGTH) {
		throw new InvalidRevocationError(`${name} must be a string of 1 to ${MAX_REVOKED_ID_LENGTH} characters`);
	}
	return value;
}

function epoch(value: unknown, name: string, unit = "seconds"): number {
	if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new InvalidRevocationError(`${name} must be epoch ${unit} (a whole number)`);
	return value;
}

/** A revocation from the bus or from Redis, checked field by field: anything on the bus can send one. */
export function readRevocation(value: unknown): Revocation {
	if (typeof value !== "object" || value === null) throw new InvalidRevocationError("not an object");
	const raw = value as Record<string, unknown>;
	const at = epoch(raw.at, "at", "milliseconds");
	if (raw.kind === "jti") {
		const jti = id(raw.jti, "jti");
		return raw.exp === undefined ? { kind: "jti", jti, at } : { kind: "jti", jti, at, exp: epoch(raw.exp, "exp") };
	}
	if (raw.kind === "sub") return { kind: "sub", sub: id(raw.sub, "sub"), at, before: epoch(raw.before, "before") };
	throw new InvalidRevocationError("kind must be jti or sub");
}

/** The entry `api.revoke` makes of its parameters: `{ jti, exp? }` or `{ sub, before? }`. */
export function revocationOf(params: Readonly<Record<string, unknown>>, nowMs: number): Revocation {
	const { jti, sub, before, exp } = params;
	if ((jti === undefined) === (sub === undefined)) throw new InvalidRevocationError("give either jti or sub");
	if (jti !== undefined) {
		if (before !== undefined) throw new InvalidRevocationError("before applies to sub only");
		return readRevocation({ kind: "jti", jti, at: nowMs, exp });
	}
	if (exp !== undefined) throw new InvalidRevocationError("exp applies to jti only");
	return readRevocation({ kind: "sub", sub, at: nowMs, before: before ?? Math.floor(nowMs / 1000) });
}

interface SubjectEntry {
	readonly before: number;
	readonly at: number;
}

interface TokenEntry {
	readonly at: number;
	readonly exp: number | null;
}

export class RevocationList {
	/** Entries held; the hot path reads it before anything else. */
	count = 0;
	private readonly tokens = new Map<string, TokenEntry>();
	private readonly subjects = new Map<string, SubjectEntry>();
	/** Seconds: the longest lifetime of a token verified here; 0 until one is. */
	private longest = 0;
	private readonly now: () => number;

	constructor(private readonly options: RevocationOptions) {
		this.now = options.now ?? Date.now;
	}

	/** A token this node verified in full: its lifetime bounds how long entries are needed. */
	observe(claims: JsonObject): void {
		const { exp, iat } = claims;
		if (typeof exp !== "number") return;
		const lifetime = exp - (typeof iat === "number" ? iat : this.now() / 1000);
		if (lifetime > this.longest) this.longest = Math.min(lifetime, this.options.maxLifetime);
	}

	/** Whether verified claims match an entry. An entry past its bound still counts: it errs towards refusing. */
	matches(claims: JsonObject): boolean {
		const { jti, sub } = claims;
		if (typeof jti === "string" && this.tokens.has(jti)) return true;
		if (typeof sub !== "string") return false;
		const subject = this.subjects.get(sub);
		if (subject === undefined) return false;
		const iat = claims.iat;
		return typeof iat !== "number" || iat <= subject.before;
	}

	/** Adds (or widens) an entry; false when it is already past its bound. */
	add(revocation: Revocation): boolean {
		if (this.expiresAt(revocation) <= this.now()) return false;
		const known = revocation.kind === "jti" ? this.tokens.has(revocation.jti) : this.subjects.has(revocation.sub);
		if (!known && this.count >= this.options.maxEntries && (this.sweep(), this.count >= this.options.maxEntries)) {
			throw new RevocationListFullError(this.options.maxEntries);
		}
		if (revocation.kind === "jti") {
			const held = this.tokens.get(revocation.jti);
			const exp = revocation.exp ?? null;
			// Two revocations of one jti: keep whichever is needed longer.
			if (held === undefined || this.tokenDeadline(held) < this.tokenDeadline({ at: revocation.at, exp })) this.tokens.set(revocation.jti, { at: revocation.at, exp });
		} else {
			const held = this.subjects.get(revocation.sub);
			if (held === undefined || held.before < revocation.before) this.subjects.set(revocation.sub, { before: revocation.before, at: revocation.at });
		}
		this.count = this.tokens.size + this.subjects.size;
		return true;
	}

	/** Epoch ms after which no token the revocation matches can be valid. */
	expiresAt(revocation: Revocation): number {
		return revocation.kind === "jti"
			? this.tokenDeadline({ at: revocation.at, exp: revocation.exp ?? null })
			: this.subjectDeadline({ before: revocation.before, at: revocation.at });
	}

	/** Drops entries past their bound; returns how many went. */
	sweep(): number {
		const now = this.now();
		const before = this.count;
		for (const [jti, entry] of this.tokens) if (this.tokenDeadline(entry) <= now) this.tokens.delete(jti);
		for (const [sub, entry] of this.subjects) if (this.subjectDeadline(entry) <= now) this.subjects.delete(sub);
		this.count = this.tokens.size + this.subjects.size;
		return before - this.count;
	}

	sizes(): { readonly jti: number; readonly sub: number } {
		return { jti: this.tokens.size, sub: this.subjects.size };
	}

	/** Seconds a token issued at a given moment can stay valid. */
	private lifetime(): number {
		return (this.longest > 0 ? this.longest : this.options.maxLifetime) + this.options.clockTolerance;
	}

	private tokenDeadline(entry: TokenEntry): number {
		if (entry.exp !== null) return (entry.exp + this.options.clockTolerance) * 1000;
		return entry.at + this.lifetime() * 1000;
	}

	private subjectDeadline(entry: SubjectEntry): number {
		return Math.max(entry.before * 1000, entry.at) + this.lifetime() * 1000;
	}
}
