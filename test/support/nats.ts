import { spawnSync } from "node:child_process";
import { connect } from "node:net";

export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/** Whether a NATS server answers at NATS_URL (it greets with an INFO line). */
export async function natsAvailable(): Promise<boolean> {
	const { hostname, port } = new URL(NATS_URL);
	return new Promise(resolve => {
		const socket = connect({ host: hostname, port: Number(port) || 4222 });
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1000, () => done(false));
		socket.once("data", chunk => done(chunk.toString().startsWith("INFO")));
		socket.once("error", () => done(false));
	});
}

/**
 * Off CI a machine without NATS skips these tests, saying so; under CI=true a missing NATS
 * server is a failure, never a silent skip.
 */
export async function requireNats(): Promise<boolean> {
	if (await natsAvailable()) return true;
	if (process.env.CI === "true") throw new Error(`CI=true but no NATS server answers at ${NATS_URL}`);
	process.stderr.write(`\n  SKIPPED: no NATS server at ${NATS_URL}; the NATS cluster tests did not run.\n\n`);
	return false;
}

export function uniqueNamespace(prefix: string): string {
	return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}

/**
 * `describe` when a NATS server answers, chosen when the test file loads: off CI a machine
 * without NATS reports the suite as skipped (jest's own skip); under CI a missing server fails.
 * Load time is synchronous, so the probe runs in a child process.
 */
export function describeWithNats(): jest.Describe {
	const probe = `require("node:net").connect(${JSON.stringify({ host: new URL(NATS_URL).hostname, port: Number(new URL(NATS_URL).port) || 4222 })})
		.setTimeout(1000, () => process.exit(1)).once("data", d => process.exit(String(d).startsWith("INFO") ? 0 : 1)).once("error", () => process.exit(1));`;
	const available = spawnSync(process.execPath, ["-e", probe], { timeout: 3000 }).status === 0;
	if (available) return describe;
	if (process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0") {
		return ((name: string) => describe(name, () => it(`needs a NATS server at ${NATS_URL} (CI is set)`, () => expect(available).toBe(true)))) as unknown as jest.Describe;
	}
	return describe.skip;
}
