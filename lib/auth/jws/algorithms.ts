/**
 * The asymmetric JWS algorithms we verify, and which key each one may be used with
 * (RFC 7518 §3, RFC 8037). A key is chosen by `kid` and must fit the token's `alg`: this is
 * what closes algorithm-confusion attacks, so it is data here, not scattered conditions.
 */
import type { KeyObject } from "node:crypto";

export const SUPPORTED_ALGORITHMS = [
	"RS256",
	"RS384",
	"RS512",
	"PS256",
	"PS384",
	"PS512",
	"ES256",
	"ES384",
	"ES512",
	"EdDSA"
] as const;

export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS);

export function isSupportedAlgorithm(name: string): name is JwsAlgorithm {
	return SUPPORTED.has(name);
}

/** Node's name for the key type (`KeyObject.asymmetricKeyType`) plus, for EC, the curve. */
interface KeyRequirement {
	readonly keyTypes: readonly string[];
	readonly namedCurve?: string;
}

const REQUIREMENTS: Readonly<Record<JwsAlgorithm, KeyRequirement>> = {
	RS256: { keyTypes: ["rsa"] },
	RS384: { keyTypes: ["rsa"] },
	RS512: { keyTypes: ["rsa"] },
	PS256: { keyTypes: ["rsa", "rsa-pss"] },
	PS384: { keyTypes: ["rsa", "rsa-pss"] },
	PS512: { keyTypes: ["rsa", "rsa-pss"] },
	ES256: { keyTypes: ["ec"], namedCurve: "prime256v1" },
	ES384: { keyTypes: ["ec"], namedCurve: "secp384r1" },
	ES512: { keyTypes: ["ec"], namedCurve: "secp521r1" },
	EdDSA: { keyTypes: ["ed25519"] }
};

export const MIN_RSA_MODULUS_BITS = 2048;
/** Larger moduli only make each check slower (a 16384-bit check already costs milliseconds). */
export const MAX_RSA_MODULUS_BITS = 16384;

/** The algorithms of `allowed` that this public key can verify. */
export function algorithmsForKey(key: KeyObject, allowed: readonly JwsAlgorithm[]): JwsAlgorithm[] {
	const type = key.asymmetricKeyType ?? "";
	const details = key.asymmetricKeyDetails ?? {};
	return allowed.filter(alg => {
		const need = REQUIREMENTS[alg];
		if (!need.keyTypes.includes(type)) return false;
		if (need.namedCurve !== undefined && details.namedCurve !== need.namedCurve) return false;
		return true;
	});
}
