/**
 * Whether the NATS suites run, decided when the file is collected (so a skip is a jest skip,
 * reported as such): NATS answers, or the suite is skipped with a line saying so; with CI set
 * a missing NATS server fails the file instead.
 */
import { spawnSync } from "node:child_process";
import { NATS_URL } from "./nats";

const PROBE = `
const { connect } = require("node:net");
const url = new URL(process.argv[1]);
const socket = connect({ host: url.hostname, port: Number(url.port) || 4222 });
socket.setTimeout(1000, () => process.exit(1));
socket.once("data", chunk => process.exit(chunk.toString().startsWith("INFO") ? 0 : 1));
socket.once("error", () => process.exit(1));
`;

export function ciIsSet(): boolean {
	const ci = process.env.CI;
	return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/** `describe` when NATS answers at NATS_URL; `describe.skip` (announced) off CI otherwise. */
export function describeWithNats(): jest.Describe {
	const probe = spawnSync(process.execPath, ["-e", PROBE, NATS_URL], { timeout: 3000 });
	if (probe.status === 0) return describe;
	if (ciIsSet()) throw new Error(`CI is set but no NATS server answers at ${NATS_URL}`);
	process.stderr.write(`\n  SKIPPED: no NATS server at ${NATS_URL}; the NATS suites of this file are skipped.\n\n`);
	return describe.skip;
}
