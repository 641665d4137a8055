/**
 * Signing keys and compact-JWS signing for the development issuer (and the tests' issuers).
 * `mintToken` signs RS/PS/ES tokens with jsonwebtoken, the reference JWS implementation, so
 * every test token of those families is one that our own signature step did not produce;
 * jsonwebtoken cannot sign EdDSA, which `signJwt` does with raw node:crypto, as it does every
 * hostile header the tests need.
 */
import { constants, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";

export type SigningAlgorithm = "EdDSA" | "RS256" | "RS384" | "RS512" | "PS256" | "ES256" | "ES384" | "ES512";

export interface SigningKey {
	readonly kid: string;
	readonly alg: SigningAlgorithm;
	readonly privateKey: KeyObject;
	/** The public JWK as an issuer publishes it. */
	readonly jwk: Record<string, unknown>;
}

const EC_CURVES: Record<string, string> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };

export function generateSigningKey(alg: SigningAlgorithm, kid: string = randomUUID(), modulusLength = 2048): SigningKey {
	const { privateKey } =
		alg === "EdDSA"
			? generateKeyPairSync("ed25519")
			: alg.startsWith("ES")
				? generateKeyPairSync("ec", { namedCurve: EC_CURVES[alg] as string })
				: generateKeyPairSync("rsa", { modulusLength });
	const jwk = { ...createPublicKey(privateKey).export({ format: "jwk" }), kid, alg, use: "sig" };
	return { kid, alg, privateKey, jwk };
}

function digestOf(alg: SigningAlgorithm): string | null {
	return alg === "EdDSA" ? null : `sha${alg.slice(2)}`;
}

export function signingInput(header: object, payload: object | string): string {
	const body = typeof payload === "string" ? payload : JSON.stringify(payload);
	return `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(body).toString("base64url")}`;
}

export function signBytes(alg: SigningAlgorithm, input: string, privateKey: KeyObject): Buffer {
	const data = Buffer.from(input);
	if (alg.startsWith("PS")) {
		return sign(digestOf(alg), data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
	}
	if (alg.startsWith("ES")) return sign(digestOf(alg), data, { key: privateKey, dsaEncoding: "ieee-p1363" });
	return sign(digestOf(alg), data, privateKey);
}

/** A compact JWS; `header` is merged over `{ alg, typ: "JWT", kid }`. */
export function signJwt(key: SigningKey, payload: object | string, header: object = {}): string {
	const fullHeader = { alg: key.alg, typ: "JWT", kid: key.kid, ...header };
	const input = signingInput(fullHeader, payload);
	return `${input}.${signBytes(key.alg, input, key.privateKey).toString("base64url")}`;
}

export interface MintOptions {
	readonly issuer: string;
	readonly sub?: string;
	readonly scope?: string;
	readonly aud?: string | string[];
	/** Seconds; default one hour. */
	readonly expiresIn?: number;
	readonly claims?: Record<string, unknown>;
	readonly now?: number;
}

export function mintToken(key: SigningKey, options: MintOptions): string {
	const iat = Math.floor((options.now ?? Date.now()) / 1000);
	const payload = {
		...options.claims,
		iss: options.issuer,
		sub: options.sub ?? "dev-user",
		...(options.aud === undefined ? {} : { aud: options.aud }),
		...(options.scope === undefined ? {} : { scope: options.scope }),
		iat,
		exp: iat + (options.expiresIn ?? 3600),
		jti: randomUUID()
	};
	if (key.alg === "EdDSA") return signJwt(key, payload);
	// jsonwebtoken's header: { alg, typ: "JWT", kid }, as signJwt's.
	return jwt.sign(payload, key.privateKey, { algorithm: key.alg, keyid: key.kid });
}
