/** The Redis suites run when Redis answers PING at REDIS_URL (server-gate.ts). */
import { describeWhenAnswering } from "./server-gate";

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

export function describeWithRedis(): jest.Describe {
	return describeWhenAnswering("Redis", REDIS_URL, PROBE);
}
