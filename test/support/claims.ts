/** A claim of a token the test minted, read without verifying (the test made the token). */
export function claimOf(token: string, name: string): unknown {
	const payload = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString("utf8")) as Record<string, unknown>;
	return payload[name];
}
