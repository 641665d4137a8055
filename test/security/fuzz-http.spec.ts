/**
 * Fuzzing the real gateway over HTTP (fast-check, fixed seed; `npm run fuzz` runs longer with
 * a random one): random Authorization headers, mutated valid tokens, huge and deeply nested
 * JSON. Never a 200 but for the unmodified token, never a 5xx but 503 JWKS_UNAVAILABLE, no
 * unhandled rejection, and the gateway still serves afterwards.
 */
import { connect } from "node:net";
import fc from "fast-check";
import { KeyServer } from "../support/key-server";
import { startGateway, type Gateway } from "../support/gateway";
import { b64, signSegments } from "../support/attack-kit";

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
// eslint-disable-next-line no-console
console.log(`HTTP fuzz: fast-check seed ${SEED} (FUZZ_SEED=${SEED} replays it), run counts x${SCALE}`);

jest.setTimeout(120_000);

/**
 * A raw HTTP/1.1 request over a socket, so any header bytes fast-check makes reach the
 * gateway's HTTP server as they are (Node's client refuses some before sending).
 */
function send(port: number, authorization: string): Promise<{ status: number; body: string }> {
	return new Promise(resolve => {
		const socket = connect({ host: "127.0.0.1", port });
		let answer = "";
		socket.setEncoding("latin1");
		socket.on("data", chunk => (answer += chunk));
		socket.on("error", () => undefined);
		// A gateway that never answers is a failure (-1), not a test that hangs.
		socket.setTimeout(10_000, () => socket.destroy());
		socket.on("close", () => {
			const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? -1);
			resolve({ status, body: answer.slice(answer.indexOf("\r\n\r\n") + 4) });
		});
		// No half-close: Node's server aborts a request whose client sends FIN before the answer
		// (httpAllowHalfOpen is off); `Connection: close` makes the gateway close after answering.
		socket.write(Buffer.from(`GET /api/protected HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`, "latin1"));
	});
}

describe("HTTP fuzz", () => {
	let issuer: KeyServer;
	let gateway: Gateway;
	let port: number;
	let valid: string;
	const unhandled: unknown[] = [];
	const onUnhandled = (reason: unknown) => unhandled.push(reason);
	let inputs = 0;

	beforeAll(async () => {
		process.on("unhandledRejection", onUnhandled);
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "fuzz-ed");
		issuer.addKey("RS256", "fuzz-rs");
		gateway = await startGateway({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "600000" });
		port = Number(new URL(gateway.url).port);
		valid = issuer.mint(issuer.keys[0], { expiresIn: 3600 });
	});

	afterAll(async () => {
		process.off("unhandledRejection", onUnhandled);
		await gateway.stop();
		await issuer.stop();
	});

	/** The only acceptable answers to anything but the unmodified valid token. */
	function judge(status: number, body: string): void {
		inputs += 1;
		expect(status).not.toBe(200);
		if (status >= 500) expect([status, /"type":"([A-Z_]+)"/.exec(body)?.[1]]).toEqual([503, "JWKS_UNAVAILABLE"]);
		expect([400, 401, 403, 431, 503]).toContain(status);
	}

	it("refuses random Authorization headers", async () => {
		const header = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary-ascii", maxLength: 200 }), fc.string({ maxLength: 200 }).map(s => `Bearer ${s}`));
		await fc.assert(
			fc.asyncProperty(header, async value => judge(...Object.values(await send(port, value)) as [number, string])),
			{ seed: SEED, numRuns: 1500 * SCALE }
		);
	});

	it("refuses every mutation of a valid token", async () => {
		const mutation = fc.record({ index: fc.nat({ max: valid.length - 1 }), char: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "), cut: fc.boolean() });
		await fc.assert(
			fc.asyncProperty(mutation, async ({ index, char, cut }) => {
				const mutated = cut ? valid.slice(0, index) + valid.slice(index + 1) : valid.slice(0, index) + char + valid.slice(index + 1);
				fc.pre(mutated !== valid);
				const { status, body } = await send(port, `Bearer ${mutated}`);
				judge(status, body);
			}),
			{ seed: SEED, numRuns: 1500 * SCALE }
		);
	});

	it("refuses signed tokens with huge or deeply nested JSON in header and payload", async () => {
		const key = issuer.keys[0] as (typeof issuer.keys)[number];
		const nested = fc.nat({ max: 3000 }).map(depth => `${"[".repeat(depth)}${"]".repeat(depth)}`);
		const shape = fc.record({ depth: nested, where: fc.constantFrom("header", "payload"), pad: fc.nat({ max: 9000 }) });
		await fc.assert(
			fc.asyncProperty(shape, async ({ depth, where, pad }) => {
				const header = where === "header" ? `{"alg":"EdDSA","kid":"fuzz-ed","x":${depth}}` : `{"alg":"EdDSA","kid":"fuzz-ed"}`;
				const payload = where === "payload" ? `{"iss":"${issuer.issuer}","x":${depth},"p":"${"a".repeat(pad)}"}` : `{"iss":"${issuer.issuer}","exp":1}`;
				const { status, body } = await send(port, `Bearer ${signSegments(key, b64(header), b64(payload))}`);
				judge(status, body);
			}),
			{ seed: SEED, numRuns: 300 * SCALE }
		);
	});

	it("is still alive and serving the valid token afterwards, with no unhandled rejection", async () => {
		const { status } = await send(port, `Bearer ${valid}`);
		expect(status).toBe(200);
		expect(unhandled).toEqual([]);
		// eslint-disable-next-line no-console
		console.log(`HTTP fuzz: ${inputs} inputs`);
		expect(inputs).toBeGreaterThanOrEqual(3000 * SCALE);
	});
});
