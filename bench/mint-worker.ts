/**
 * Worker thread of bench/tokens.ts: mints `count` valid tokens with the key it is given and
 * posts them back as one newline-separated string.
 */
import { parentPort, workerData } from "node:worker_threads";
import { mintToken, type SigningKey } from "../lib/dev-issuer/signer";

interface MintJob {
	readonly key: SigningKey;
	readonly issuer: string;
	readonly count: number;
	readonly first: number;
	readonly claims?: Record<string, unknown>;
}

const job = workerData as MintJob;
const tokens: string[] = [];
for (let i = 0; i < job.count; i++) tokens.push(mintToken(job.key, { issuer: job.issuer, sub: `bench-user-${job.first + i}`, expiresIn: 3600, claims: job.claims }));
parentPort?.postMessage(tokens.join("\n"));
