/**
 * The Bearer token of each request, in the load generator: rotated through a file of valid
 * tokens, or made on the fly for floods (a million distinct tokens are never held in memory).
 */
import { randomFillSync, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TokenSource } from "./protocol";

export type NextToken = () => string;

const files = new Map<string, readonly string[]>();
/** Position in each file per cursor name, kept across jobs so a gateway sees every token before one repeats. */
const cursors = new Map<string, number>();

function tokensOf(file: string): readonly string[] {
	let tokens = files.get(file);
	if (tokens === undefined) {
		tokens = readFileSync(file, "utf8")
			.split("\n")
			.filter(line => line !== "");
		if (tokens.length === 0) throw new Error(`${file} holds no tokens`);
		files.set(file, tokens);
	}
	return tokens;
}

/** A random signature of the right length: base64url of random bytes is always canonical. */
function randomSignature(bytes: number): () => string {
	const buffer = Buffer.alloc(bytes);
	return () => randomFillSync(buffer).toString("base64url");
}

function base64url(text: string): string {
	return Buffer.from(text).toString("base64url");
}

/** For a generator that sends a file's tokens itself (wrk): where the cursor stands, and moving it on. */
export const fileCursor = {
	position: (cursor: string): number => cursors.get(cursor) ?? 0,
	advance: (cursor: string, sent: number): void => void cursors.set(cursor, (cursors.get(cursor) ?? 0) + sent)
};

export function tokenSource(source: TokenSource): NextToken {
	switch (source.kind) {
		case "fixed":
			return () => source.token;
		case "file": {
			const tokens = tokensOf(source.file);
			return () => {
				const index = cursors.get(source.cursor) ?? 0;
				cursors.set(source.cursor, index + 1);
				return tokens[index % tokens.length] as string;
			};
		}
		case "bad-signature": {
			const signature = randomSignature(source.sigBytes);
			return () => `${source.prefix}.${signature()}`;
		}
		case "unknown-kid": {
			const signature = randomSignature(source.sigBytes);
			const run = randomUUID().slice(0, 8);
			let counter = 0;
			return () => `${base64url(`{"alg":"${source.alg}","typ":"JWT","kid":"${run}-${(counter++).toString(36)}"}`)}.${source.payload}.${signature()}`;
		}
	}
}
