/**
 * Token -> verified claims, or the one reason it fails. The order is the security argument:
 * size and structure first, then the allow-listed algorithm, the trusted issuer (which picks
 * the key store, so an untrusted `iss` never causes a fetch), the key, the signature, and
 * only then the claims.
 */
import type { JwsAlgorithm } from "./algorithms";
import { checkClaims, type ClaimRules } from "./claims";
import type { IssuerKeyStore } from "./key-store";
import { reject, type Rejection } from "./reasons";
import { signatureIsValid } from "./signature";
import { parseToken, type JsonObject, type JwsHeader } from "./token";

export interface VerifiedToken {
	readonly ok: true;
	readonly claims: JsonObject;
	readonly header: JwsHeader;
	readonly issuer: string;
	readonly kid: string | null;
	readonly alg: JwsAlgorithm;
}

export type Verdict = VerifiedToken | Rejection;

export interface VerifierOptions extends ClaimRules {
	readonly algorithms: readonly JwsAlgorithm[];
	readonly now?: () => number;
}

export class Verifier {
	private readonly allowed: ReadonlySet<string>;
	private readonly now: () => number;

	constructor(
		private readonly stores: ReadonlyMap<string, IssuerKeyStore>,
		private readonly options: VerifierOptions
	) {
		this.allowed = new Set(options.algorithms);
		this.now = options.now ?? Date.now;
	}

	async verify(token: string): Promise<Verdict> {
		const parsed = parseToken(token);
		if (!parsed.ok) return parsed;
		const { header, payload } = parsed;
		if (!this.allowed.has(header.alg)) return reject("algorithm_not_allowed");
		const alg = header.alg as JwsAlgorithm;

		const iss = payload.iss;
		if (iss === undefined) return reject("missing_claim", "The token has no iss claim");
		if (typeof iss !== "string") return reject("invalid_claim", "The iss claim must be a string");
		const store = this.stores.get(iss);
		if (store === undefined) return reject("issuer_mismatch");

		const lookup = await store.lookup(header.kid, alg);
		if (!lookup.ok) return lookup;
		if (!signatureIsValid(token, parsed, alg, lookup.key)) return reject("bad_signature");

		const problem: Rejection | null = checkClaims(header, payload, this.options, this.now() / 1000);
		if (problem) return problem;
		return { ok: true, claims: payload, header, issuer: iss, kid: header.kid ?? null, alg };
	}
}
