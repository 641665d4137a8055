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
 * `describe` when `available`. Otherwise, with CI set, the file fails, naming what is `missing`
 * (a throw while collecting, so no hook runs: `beforeFailing` cleans up first); without CI,
 * `describe.skip`, announced with what is missing and what is `skipped`.
 */
export function describeWhen(available: boolean, missing: string, skipped: string, beforeFailing?: () => void): jest.Describe {
	if (available) return describe;
	if (ciIsSet()) {
		beforeFailing?.();
		throw new Error(`CI is set but ${missing}`);
	}
	process.stderr.write(`\n  SKIPPED: ${missing}; ${skipped}.\n\n`);
	return describe.skip;
}

/**
 * `describe` when `probe` (a Node script run with the URL as its argument, exiting 0 when the
 * server answers as it should) succeeds; `describe.skip` (announced) off CI otherwise.
 */
export function describeWhenAnswering(server: string, url: string, probe: string): jest.Describe {
	const answer = spawnSync(process.execPath, ["-e", probe, url], { timeout: 3000 });
	return describeWhen(answer.status === 0, `no ${server} server answers at ${url}`, `the ${server} suites of this file are skipped`);
}
