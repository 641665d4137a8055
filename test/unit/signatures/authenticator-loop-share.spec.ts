/**
 * The gateway's Authenticator gives its signature threads the event loop's help: a burst of new
 * Ed25519 tokens, more than its thread may hold, is verified partly on the event loop, every
 * token accepted and every forged one refused. A real issuer over HTTP, a real thread.
 */
import { Authenticator } from "../../../lib/auth/authenticator";
import { parseAuthConfig } from "../../../lib/auth/policy/env";
import { MAX_SENT_PER_THREAD } from "../../../lib/auth/signatures/signature-threads";
import { KeyServer } from "../../support/key-server";
import { waitFor } from "../../support/gateway";

describe("the Authenticator's signature threads", () => {
	let issuer: KeyServer;
	let auth: Authenticator | undefined;

	beforeEach(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "ed");
	});

	afterEach(async () => {
		await auth?.stop();
		await issuer.stop();
	});

	async function started(threads: string): Promise<{ sent: number; onLoop: number; onThreadPool: number }> {
		const counts = { sent: 0, onLoop: 0, onThreadPool: 0 };
		auth = new Authenticator(parseAuthConfig({ JWT_ISSUER: issuer.issuer, JWT_VERIFY_THREADS: threads }), {
			events: { batchSent: checks => (counts.sent += checks), checkedOnLoop: () => (counts.onLoop += 1), checkedOnThreadPool: () => (counts.onThreadPool += 1) }
		});
		auth.start();
		await waitFor(() => auth?.readiness().ready === true);
		return counts;
	}

	/** `count` distinct tokens, every fourth with a flipped signature byte; `expected`: which verify. */
	function tokens(count: number): { tokens: string[]; expected: boolean[] } {
		const list = Array.from({ length: count }, (_, i) => {
			const token = issuer.mint(undefined, { sub: `user-${i}` });
			if (i % 4 !== 0) return token;
			const dot = token.lastIndexOf(".");
			const signature = Buffer.from(token.slice(dot + 1), "base64url");
			signature[0] = (signature[0] as number) ^ 1;
			return `${token.slice(0, dot + 1)}${signature.toString("base64url")}`;
		});
		return { tokens: list, expected: list.map((_, i) => i % 4 !== 0) };
	}

	it("let the event loop take a share of a burst its thread cannot hold, with every verdict right", async () => {
		const counts = await started("1");
		const burst = tokens(3 * MAX_SENT_PER_THREAD);
		const verdicts = await Promise.all(burst.tokens.map(token => (auth as Authenticator).verify(token)));
		expect(verdicts.map(verdict => verdict.ok)).toEqual(burst.expected);
		expect(verdicts.filter(verdict => !verdict.ok).every(verdict => !verdict.ok && verdict.reason === "bad_signature")).toBe(true);
		expect(counts.onLoop).toBeGreaterThan(0);
		expect(counts.sent + counts.onLoop).toBe(burst.tokens.length);
		expect(counts.onThreadPool).toBe(0);
	});

	it("count the checks that go to node:crypto's thread pool while no thread runs", async () => {
		const counts = await started("1");
		await (auth as Authenticator).signatureThreads?.stop();
		const burst = tokens(8);
		const verdicts = await Promise.all(burst.tokens.map(token => (auth as Authenticator).verify(token)));
		expect(verdicts.map(verdict => verdict.ok)).toEqual(burst.expected);
		expect(counts).toEqual({ sent: 0, onLoop: 0, onThreadPool: burst.tokens.length });
	});

	it("leave the checks to node:crypto's thread pool with JWT_VERIFY_THREADS=0: no thread, no share for the loop", async () => {
		const counts = await started("0");
		const burst = tokens(2 * MAX_SENT_PER_THREAD);
		const verdicts = await Promise.all(burst.tokens.map(token => (auth as Authenticator).verify(token)));
		expect(verdicts.map(verdict => verdict.ok)).toEqual(burst.expected);
		expect((auth as Authenticator).signatureThreads).toBeNull();
		expect(counts).toEqual({ sent: 0, onLoop: 0, onThreadPool: burst.tokens.length });
	});
});
