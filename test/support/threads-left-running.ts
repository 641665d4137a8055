/**
 * Run by signature-threads.spec.ts in its own process: starts signature threads, checks one
 * signature, prints the answer and never stops the threads. The process must still end.
 */
import { createPublicKey } from "node:crypto";
import { checkOnThreadPool, SignatureChecks } from "../../lib/auth/signatures/signature";
import { SignatureThreads } from "../../lib/auth/signatures/signature-threads";
import { parseToken } from "../../lib/auth/jws/token";
import { generateSigningKey, mintToken } from "../../lib/dev-issuer/signer";

const signing = generateSigningKey("RS256", "left-running");
const parsed = parseToken(mintToken(signing, { issuer: "https://issuer.example" }));
if (!parsed.ok) throw new Error("the token does not parse");
let batches = 0;
const threads = new SignatureThreads(1, checkOnThreadPool, { batchSent: () => (batches += 1) });
threads.start();
const key = { kid: signing.kid, key: createPublicKey(signing.privateKey), algorithms: new Set(["RS256" as const]) };
void new SignatureChecks(threads).isValid(parsed, "RS256", key).then(valid => process.stdout.write(`valid=${valid} batches=${batches}\n`));
