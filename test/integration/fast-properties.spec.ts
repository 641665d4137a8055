/**
 * A gateway with the jwtAuth mixin (here the project's api service) is laid out with V8's fast
 * properties once it has started (lib/gateway/fast-properties.ts, called from jwtAuth's
 * `started`): Moleculer's computed-name methods leave it a hash table,
 * which moleculer-web reads dozens of times a request. V8's own intrinsic tells, in a child
 * process started with --allow-natives-syntax (test/support/fast-properties-probe.ts).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

interface ProbeReport {
	object: { before: boolean; after: boolean; same: boolean; keys: number; key7: number; inherited: boolean };
	service: { created: boolean; started: boolean };
}

function probe(): ProbeReport {
	const script = join(__dirname, "..", "support", "fast-properties-probe.ts");
	const result = spawnSync(process.execPath, ["--allow-natives-syntax", "--import", "tsx", script], { encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_ENV: "development" } });
	if (result.status !== 0) throw new Error(`the probe failed (${result.status}): ${result.stderr}`);
	return JSON.parse(result.stdout.trim().split("\n").pop() ?? "") as ProbeReport;
}

describe("fast properties", () => {
	const report = probe();

	it("turns a hash-table object into one with fast properties, and changes nothing else about it", () => {
		expect(report.object).toEqual({ before: false, after: true, same: true, keys: 40, key7: 7, inherited: true });
	});

	it("leaves the started gateway service with fast properties, which Moleculer's own set-up does not", () => {
		expect(report.service).toEqual({ created: false, started: true });
	});
});
