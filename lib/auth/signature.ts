/**
 * The signature step. jsonwebtoken is the JWS engine for RS/PS/ES; it cannot verify EdDSA
 * (`Unknown key type "ed25519"`), so Ed25519 goes through node:crypto with the same key
 * objects. Both receive a key already proven to fit the algorithm.
 */
import { verify as cryptoVerify } from "node:crypto";
import jwt from "jsonwebtoken";
import type { JwsAlgorithm } from "./algorithms";
import type { VerificationKey } from "./key-set";
import type { ParsedToken } from "./token";

const ED25519_SIGNATURE_BYTES = 64;

export function signatureIsValid(token: string, parsed: ParsedToken, alg: JwsAlgorithm, key: VerificationKey): boolean {
	try {
		if (alg === "EdDSA") {
			return parsed.signature.length === ED25519_SIGNATURE_BYTES && cryptoVerify(null, Buffer.from(parsed.signingInput), key.key, parsed.signature);
		}
		// Claims are checked by our own rules for every algorithm; jsonwebtoken checks the JWS.
		jwt.verify(token, key.key, { algorithms: [alg], ignoreExpiration: true, ignoreNotBefore: true });
		return true;
	} catch {
		return false;
	}
}
