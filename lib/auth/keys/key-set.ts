/**
 * One fetched key set, converted once into ready `KeyObject`s (never per request), and the
 * rule for picking the key a token names. Fetching and conversion go through jwks-rsa's client;
 * our fetcher gives it a deadline, a size cap and the screening of hostile keys.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { JwksClient } from "jwks-rsa";
import { algorithmsForKey, type JwsAlgorithm } from "../jws/algorithms";
import { fetchJson } from "./http-fetch";
import { screenKeySet, KeySetError, type ScreenedKey } from "./jwk-screen";
import { reject, type Rejection } from "../policy/reasons";

export interface VerificationKey {
	readonly kid: string | null;
	readonly key: KeyObject;
	/** Allowed algorithms this key fits (kty/crv) and, when the JWK names one, its `alg`. */
	readonly algorithms: ReadonlySet<JwsAlgorithm>;
}

export interface KeySet {
	readonly byKid: ReadonlyMap<string, VerificationKey>;
	readonly keys: readonly VerificationKey[];
	readonly fetchedAt: number;
}

export interface FetchedKeys {
	readonly keys: VerificationKey[];
	readonly warnings: string[];
}

export type KeyPick = { readonly ok: true; readonly key: VerificationKey } | Rejection;

/**
 * jwks-rsa identifies results only by kid, and drops kid-less keys' identity; we hand it every
 * screened key under its index so each converted key maps back to exactly one JWK.
 */
export async function fetchKeys(jwksUri: string, signal: AbortSignal, allowed: readonly JwsAlgorithm[]): Promise<FetchedKeys> {
	let screened: ScreenedKey[] = [];
	let warnings: string[] = [];
	const client = new JwksClient({
		jwksUri,
		cache: false,
		rateLimit: false,
		fetcher: async (uri: string) => {
			({ keys: screened, warnings } = screenKeySet(await fetchJson(uri, signal)));
			return { keys: screened.map((entry, index) => ({ ...entry.jwk, kid: String(index) })) };
		}
	});
	let signingKeys;
	try {
		signingKeys = await client.getSigningKeys();
	} catch (err) {
		if (err instanceof Error && err.name === "JwksError") throw new KeySetError(`the key set has no usable signing key (${err.message})`);
		throw err;
	}
	const keys = signingKeys.map(signingKey => {
		const source = screened[Number(signingKey.kid)] as ScreenedKey;
		const key = createPublicKey(signingKey.getPublicKey());
		const fits = algorithmsForKey(key, allowed).filter(alg => source.alg === null || source.alg === alg);
		return { kid: source.kid, key, algorithms: new Set(fits) };
	});
	if (keys.length < screened.length) warnings.push(`${screened.length - keys.length} key(s) could not be converted and were skipped`);
	return { keys, warnings };
}

/** The same key: same kid, same key material, same algorithms (a refetch builds new objects for all three). */
function sameKey(a: VerificationKey, b: VerificationKey): boolean {
	return a.kid === b.kid && a.algorithms.size === b.algorithms.size && [...a.algorithms].every(alg => b.algorithms.has(alg)) && a.key.equals(b.key);
}

/**
 * A key set from fetched keys. A key that `previous` already held, by its material, stays the
 * very same object: what was verified with it (the token cache, connection memos) still
 * counts, so an anonymous client's made-up kid, which causes a refetch, flushes nothing.
 */
export function buildKeySet(fetched: readonly VerificationKey[], fetchedAt: number, previous: KeySet | null = null): KeySet {
	const keys = fetched.map(key => previous?.keys.find(old => sameKey(old, key)) ?? key);
	const byKid = new Map<string, VerificationKey>();
	for (const key of keys) if (key.kid !== null) byKid.set(key.kid, key);
	return { byKid, keys, fetchedAt };
}

/** The key for a token's (kid, alg); a kid-less token only when exactly one key fits. */
export function pickKey(set: KeySet, kid: string | undefined, alg: JwsAlgorithm): KeyPick {
	if (kid === undefined) {
		const fitting = set.keys.filter(key => key.algorithms.has(alg));
		if (fitting.length === 1) return { ok: true, key: fitting[0] as VerificationKey };
		return reject("unknown_key", fitting.length === 0 ? "No key of the issuer fits the token" : "The token has no kid and several keys fit");
	}
	const key = set.byKid.get(kid);
	if (key === undefined) return reject("unknown_key");
	return key.algorithms.has(alg) ? { ok: true, key } : reject("key_mismatch");
}
