/**
 * Whether the Redis suites run, decided when the file is collected (so a skip is a jest skip,
 * reported as such): Redis answers PING at REDIS_URL, or the suite is skipped with a line
 * saying so; with CI set a missing Redis server fails the file instead.
 */
import { spawnSync } from "node:child_process";
import { ciIsSet } from "./nats-gate";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

const PROBE = `
const { connect } = require("node:net");
const url = new URL(process.argv[1]);
const socket = connect({ host: url.hostname, port: Number(url.port) || 6379 });
socket.setTimeout(1000, () => process.exit(1));
socket.once("connect", () => socket.write("PING\\r\\n"));
socket.once("data", chunk => process.exit(/^(\\+PONG|-NOAUTH)/.test(chunk.toString()) ? 0 : 1));
socket.once("error", () => process.exit(1));
`;

/** `describe` when Redis answers at REDIS_URL; `describe.skip` (announced) off CI otherwise. */
export function describeWithRedis(): jest.Describe {
	const probe = spawnSync(process.execPath, ["-e", PROBE, REDIS_URL], { timeout: 3000 });
	if (probe.status === 0) return describe;
	if (ciIsSet()) throw new Error(`CI is set but no Redis server answers at ${REDIS_URL}`);
	process.stderr.write(`\n  SKIPPED: no Redis server at ${REDIS_URL}; the Redis suites of this file are skipped.\n\n`);
	return describe.skip;
}
