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
