/** The NATS suites run when a NATS server greets a connection at NATS_URL (server-gate.ts). */
import { NATS_URL } from "./nats";
import { describeWhenAnswering } from "./server-gate";

export { ciIsSet } from "./server-gate";

const PROBE = `
const { connect } = require("node:net");
const url = new URL(process.argv[1]);
const socket = connect({ host: url.hostname, port: Number(url.port) || 4222 });
socket.setTimeout(1000, () => process.exit(1));
socket.once("data", chunk => process.exit(chunk.toString().startsWith("INFO") ? 0 : 1));
socket.once("error", () => process.exit(1));
`;

export function describeWithNats(): jest.Describe {
	return describeWhenAnswering("NATS", NATS_URL, PROBE);
}
