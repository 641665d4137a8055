/**
 * Whether a suite that needs a real server runs, decided when the file is collected (so a skip
 * is a jest skip, reported as such): the server answers its probe, or the suite is skipped with
 * a line saying so; with CI set a missing server fails the file instead.
 */
import { spawnSync } from "node:child_process";

export function ciIsSet(): boolean {
	const ci = process.env.CI;
	return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/**
 * `describe` when `probe` (a Node script run with the URL as its argument, exiting 0 when the
 * server answers as it should) succeeds; `describe.skip` (announced) off CI otherwise.
 */
export function describeWhenAnswering(server: string, url: string, probe: string): jest.Describe {
	const answer = spawnSync(process.execPath, ["-e", probe, url], { timeout: 3000 });
	if (answer.status === 0) return describe;
	if (ciIsSet()) throw new Error(`CI is set but no ${server} server answers at ${url}`);
	process.stderr.write(`\n  SKIPPED: no ${server} server at ${url}; the ${server} suites of this file are skipped.\n\n`);
	return describe.skip;
}
