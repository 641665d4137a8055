/**
 * A fetched key set is untrusted input. Each key that could be misused or misread is dropped
 * with a warning naming it (RFC 7517 §4-5, RFC 7518 §3.3): the rest of the set keeps working.
 */
import { isSupportedAlgorithm, MAX_RSA_MODULUS_BITS, MIN_RSA_MODULUS_BITS } from "../jws/algorithms";
import type { JsonObject } from "../jws/token";

export interface ScreenedKey {
	/** The JWK as published, known to be a public signing key we can convert. */
	readonly jwk: JsonObject;
	readonly kid: string | null;
	readonly alg: string | null;
}

export interface ScreenResult {
	readonly keys: ScreenedKey[];
	readonly warnings: string[];
}

export class KeySetError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "KeySetError";
	}
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const EC_CURVES = ["P-256", "P-384", "P-521"];
const MAX_KEYS = 100;

function isObject(value: unknown): value is JsonObject {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isB64(value: unknown): value is string {
	return typeof value === "string" && /^[A-Za-z0-9_-]+$/.test(value);
}

/** A big-endian unsigned integer without its leading zero bytes. */
function magnitude(value: string): Buffer {
	const bytes = Buffer.from(value, "base64url");
	let first = 0;
	while (first < bytes.length && bytes[first] === 0) first++;
	return bytes.subarray(first);
}

function bitLength(bytes: Buffer): number {
	return bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0] as number));
}

/**
 * Why this RSA public key is unsafe or unreasonable, or null. An exponent of 1 makes the
 * "signature" equal to the padded digest, so anyone can forge one (the first finding of
 * issue 16); an even exponent is not an RSA key at all; 2^32 and above is what no issuer uses
 * and what OpenSSL's own checks bound.
 */
function rsaProblem(n: string, e: string): string | null {
	const bits = bitLength(magnitude(n));
	if (bits < MIN_RSA_MODULUS_BITS) return `RSA modulus of ${bits} bits is under ${MIN_RSA_MODULUS_BITS}`;
	if (bits > MAX_RSA_MODULUS_BITS) return `RSA modulus of ${bits} bits is over ${MAX_RSA_MODULUS_BITS}`;
	const exponent = magnitude(e);
	if (exponent.length > 4) return "RSA exponent is 2^32 or more";
	const value = exponent.length === 0 ? 0 : exponent.readUIntBE(0, exponent.length);
	if (value < 3) return `RSA exponent ${value} is under 3`;
	if (value % 2 === 0) return `RSA exponent ${value} is even`;
	return null;
}

/** Why this JWK cannot be used to verify signatures, or null when it can. */
function problemWith(jwk: JsonObject): string | null {
	if (jwk.use !== undefined && jwk.use !== "sig") return `use is ${JSON.stringify(jwk.use)}, not "sig"`;
	if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) {
		return "key_ops does not allow verify";
	}
	if (PRIVATE_MEMBERS.some(member => member in jwk)) return "it contains private key material";
	if (jwk.alg !== undefined && !(typeof jwk.alg === "string" && isSupportedAlgorithm(jwk.alg))) {
		return `alg ${JSON.stringify(jwk.alg)} is not a supported signature algorithm`;
	}
	switch (jwk.kty) {
		case "RSA": {
			if (!isB64(jwk.n) || !isB64(jwk.e)) return "RSA key without n or e";
			return rsaProblem(jwk.n, jwk.e);
		}
		case "EC":
			if (typeof jwk.crv !== "string" || !EC_CURVES.includes(jwk.crv)) return `EC curve ${JSON.stringify(jwk.crv)} is not supported`;
			return isB64(jwk.x) && isB64(jwk.y) ? null : "EC key without x or y";
		case "OKP":
			if (jwk.crv !== "Ed25519") return `OKP curve ${JSON.stringify(jwk.crv)} is not supported`;
			return isB64(jwk.x) ? null : "OKP key without x";
		default:
			return `kty ${JSON.stringify(jwk.kty)} is not supported`;
	}
}

function label(jwk: unknown, index: number): string {
	if (isObject(jwk) && typeof jwk.kid === "string") return `kid ${JSON.stringify(jwk.kid.slice(0, 64))}`;
	return `key #${index}`;
}

/**
 * The usable keys of a key set, with a warning for each one skipped. A kid is judged ambiguous
 * only among keys that pass on their own: an encryption key (or any other skipped key) sharing
 * a signing key's kid must not disable the signing key; two usable keys with one kid are both
 * skipped, as "the key this token names" would be a guess.
 */
export function screenKeySet(body: unknown): ScreenResult {
	if (!isObject(body) || !Array.isArray(body.keys)) throw new KeySetError("the key set is not a JSON object with a keys array");
	if (body.keys.length > MAX_KEYS) throw new KeySetError(`the key set has ${body.keys.length} keys, more than ${MAX_KEYS}`);
	const warnings: string[] = [];
	const usable: ScreenedKey[] = [];
	body.keys.forEach((jwk: unknown, index: number) => {
		const name = label(jwk, index);
		if (!isObject(jwk)) return warnings.push(`skipped ${name}: not a JSON object`);
		if (jwk.kid !== undefined && (typeof jwk.kid !== "string" || jwk.kid === "" || jwk.kid.length > 256)) {
			return warnings.push(`skipped ${name}: kid is not a short string`);
		}
		const problem = problemWith(jwk);
		if (problem !== null) return warnings.push(`skipped ${name}: ${problem}`);
		usable.push({ jwk, kid: typeof jwk.kid === "string" ? jwk.kid : null, alg: typeof jwk.alg === "string" ? jwk.alg : null });
	});
	const kidCounts = new Map<string, number>();
	for (const { kid } of usable) if (kid !== null) kidCounts.set(kid, (kidCounts.get(kid) ?? 0) + 1);
	const keys = usable.filter(key => {
		if (key.kid === null || (kidCounts.get(key.kid) ?? 0) < 2) return true;
		warnings.push(`skipped ${label(key.jwk, 0)}: the kid appears on more than one usable key`);
		return false;
	});
	return { keys, warnings };
}
