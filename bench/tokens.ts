/**
 * Tokens for the load generators: valid ones minted up front (in worker threads, written to a
 * temporary file, one per line), and the templates floods build a million invalid ones from.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { SigningKey } from "../lib/dev-issuer/signer";
import { mintToken } from "../lib/dev-issuer/signer";
import type { TokenSource } from "./protocol";

export class TokenDir {
	readonly path = mkdtempSync(join(tmpdir(), "bench-tokens-"));

	file(name: string): string {
		return join(this.path, name);
	}

	remove(): void {
		rmSync(this.path, { recursive: true, force: true });
	}
}

function mintPart(key: SigningKey, issuer: string, count: number, first: number, claims?: Record<string, unknown>): Promise<string> {
	return new Promise((resolve, reject) => {
		const worker = new Worker(join(__dirname, "mint-worker.ts"), { workerData: { key, issuer, count, first, claims } });
		worker.once("message", (tokens: string) => resolve(tokens));
		worker.once("error", reject);
	});
}

/** `count` distinct valid tokens (exp in one hour, with `claims` added), written one per line to `file`. */
export async function mintFile(key: SigningKey, issuer: string, count: number, file: string, claims?: Record<string, unknown>): Promise<string> {
	const workers = Math.max(1, Math.min(availableParallelism(), Math.ceil(count / 1000)));
	const share = Math.ceil(count / workers);
	const parts = await Promise.all(
		Array.from({ length: workers }, (_, i) => mintPart(key, issuer, Math.max(0, Math.min(share, count - i * share)), i * share, claims))
	);
	writeFileSync(file, `${parts.filter(part => part !== "").join("\n")}\n`);
	return file;
}

export function oneToken(key: SigningKey, issuer: string, claims?: Record<string, unknown>): string {
	return mintToken(key, { issuer, sub: "bench-user", expiresIn: 3600, claims });
}

function base64url(value: object): string {
	return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function floodPayload(issuer: string): string {
	const iat = Math.floor(Date.now() / 1000);
	return base64url({ iss: issuer, sub: "flood", iat, exp: iat + 3600 });
}

const RSA_SIGNATURE_BYTES = 256;

/** Well-formed tokens naming a real key, each with a different random (so wrong) signature. */
export function badSignatureTokens(key: SigningKey, issuer: string): TokenSource {
	return { kind: "bad-signature", prefix: `${base64url({ alg: key.alg, typ: "JWT", kid: key.kid })}.${floodPayload(issuer)}`, sigBytes: RSA_SIGNATURE_BYTES };
}

/** Well-formed tokens of the trusted issuer, each naming a kid the issuer never published. */
export function unknownKidTokens(issuer: string): TokenSource {
	return { kind: "unknown-kid", alg: "RS256", payload: floodPayload(issuer), sigBytes: RSA_SIGNATURE_BYTES };
}
