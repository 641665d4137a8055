/**
 * A fetched key set is untrusted input. Each key that could be misused or misread is dropped
 * with a warning naming it (RFC 7517 §4-5, RFC 7518 §3.3): the rest of the set keeps working.
 */
import { isSupportedAlgorithm, MIN_RSA_MODULUS_BITS } from "./algorithms";
import type { JsonObject } from "./token";

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

function modulusBits(n: string): number {
	const bytes = Buffer.from(n, "base64url");
	let first = 0;
	while (first < bytes.length && bytes[first] === 0) first++;
	if (first === bytes.length) return 0;
	return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first] as number));
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
			const bits = modulusBits(jwk.n);
			return bits < MIN_RSA_MODULUS_BITS ? `RSA modulus of ${bits} bits is under ${MIN_RSA_MODULUS_BITS}` : null;
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

export function screenKeySet(body: unknown): ScreenResult {
	if (!isObject(body) || !Array.isArray(body.keys)) throw new KeySetError("the key set is not a JSON object with a keys array");
	if (body.keys.length > MAX_KEYS) throw new KeySetError(`the key set has ${body.keys.length} keys, more than ${MAX_KEYS}`);
	const warnings: string[] = [];
	const kidCounts = new Map<string, number>();
	for (const jwk of body.keys) {
		if (isObject(jwk) && typeof jwk.kid === "string") kidCounts.set(jwk.kid, (kidCounts.get(jwk.kid) ?? 0) + 1);
	}
	const keys: ScreenedKey[] = [];
	body.keys.forEach((jwk: unknown, index: number) => {
		const name = label(jwk, index);
		if (!isObject(jwk)) return warnings.push(`skipped ${name}: not a JSON object`);
		if (jwk.kid !== undefined && (typeof jwk.kid !== "string" || jwk.kid === "" || jwk.kid.length > 256)) {
			return warnings.push(`skipped ${name}: kid is not a short string`);
		}
		const kid = typeof jwk.kid === "string" ? jwk.kid : null;
		// Two keys under one kid make "the key this token names" ambiguous: use neither.
		if (kid !== null && (kidCounts.get(kid) ?? 0) > 1) return warnings.push(`skipped ${name}: the kid appears more than once`);
		const problem = problemWith(jwk);
		if (problem !== null) return warnings.push(`skipped ${name}: ${problem}`);
		keys.push({ jwk, kid, alg: typeof jwk.alg === "string" ? jwk.alg : null });
	});
	return { keys, warnings };
}
