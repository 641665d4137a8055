/**
 * A short smoke of `npm run bench` in CI: every mode runs, every gateway answers (ours is the
 * shipped process, bin/serve.js on the build), and the report has its tables. It asserts no
 * ratio: speed is judged by a full run on a quiet machine (README).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { callgrindInstalled } from "../../bench/callgrind";
import { run } from "../support/process";
import { describeWhen } from "../support/server-gate";

jest.setTimeout(180_000);

const COUNT = /([\d,]+)/;

function rowsOf(report: string, prefix: string): string[] {
	return report.split("\n").filter(line => line.startsWith(`| ${prefix}`));
}

function reqPerSecond(row: string): number {
	const cell = row.split("|")[3] ?? "";
	return Number((COUNT.exec(cell)?.[1] ?? "0").replace(/,/g, ""));
}

const wrkInstalled = spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
// wrk where it is installed (the default there), autocannon everywhere.
const generators = [...(wrkInstalled ? [["wrk", "wrk, 1 thread"]] : []), ["autocannon", "autocannon"]];
// The autocannon run also compares ours with a build of another checkout (this one, built by the bench).
const ROOT = join(__dirname, "..", "..");
const COMPARED = `ours as shipped, the build in ${ROOT} (comparison)`;

describe("npm run bench (smoke)", () => {
	it.each(generators)("with %s, measures the shipped gateway and the three baselines in every scenario and reports a table, the machine, the fixed-rate latency and the threads' capacity", async (generator, described) => {
		const compare = generator === "autocannon";
		const bench = run("npm", ["run", "-s", "bench", "--", "--smoke"], { BENCH_LOADGEN: generator as string, ...(compare ? { BENCH_COMPARE_ROOT: ROOT } : {}) });
		const code = await bench.wait();
		const report = bench.text;
		expect({ code, tail: code === 0 ? "" : report.slice(-2000) }).toEqual({ code: 0, tail: "" });
		expect(report).toMatch(/^Machine: .+, \d+ cores/m);
		expect(report).toMatch(/^Node v24\./m);
		expect(report).toContain(`Load generator: ${described} (fixed rate: our open-loop client); ours: npm run serve's command (node --max-semi-space-size=16 --no-memory-reducer bin/serve.js`);

		for (const scenario of ["A: one RS256 token", "B: 2,000 RS256 tokens"]) {
			const rows = rowsOf(report, scenario);
			expect(rows.map(row => row.split("|")[2]?.trim())).toEqual([
				"plain moleculer-web, no auth",
				"plain moleculer-web, no auth, Moleculer's Prometheus metrics",
				"jwks-rsa + jsonwebtoken recipe",
				"ours, as shipped",
				...(compare ? [COMPARED] : [])
			]);
			for (const row of rows) expect(reqPerSecond(row)).toBeGreaterThan(0);
		}
		// Ours against the compared build, one line per scenario (B-EdDSA included), only when asked for.
		const lines = report.split("\n");
		const header = lines.indexOf(`| scenario | ours / ${COMPARED} (req/s) | CPU µs/req ours - compared |`);
		expect(header >= 0).toBe(compare);
		if (compare) {
			const comparisons = lines.slice(header + 2, header + 5);
			for (const line of comparisons) expect(line).toMatch(/^\| (A|B|B-EdDSA) \| [\d.]+ \| -?[\d.]+ \|$/);
			expect(comparisons.map(line => line.split("|")[1]?.trim())).toEqual(["A", "B", "B-EdDSA"]);
		}
		const eddsa = rowsOf(report, "B-EdDSA");
		expect(reqPerSecond(eddsa.find(row => row.includes("| ours, as shipped |")) ?? "")).toBeGreaterThan(0);
		expect(report).toMatch(/^Fixed rate, scenario A, [\d,]+ req\/s .*p99 added by auth: -?[\d.]+ ms \(round by round: -?[\d.]+; median of those -?[\d.]+ ms\)$/m);
		expect(report).toMatch(
			/^Signature threads alone \(\d+ thread\(s\), no HTTP\): [\d,]+ Ed25519 checks\/s on the idle machine \(median; between the slices of each B-EdDSA round: [\d,]+\), [\d,]+ with the other cores kept busy \(\d+ spinning thread\(s\)\); ours in B-EdDSA reaches [\d.]+ of the first, round by round \([\d.]+\), and [\d.]+ of the second$/m
		);
	});

	it("measures what each default costs, each turned off in its own variant of the shipped process, and prints the cost table", async () => {
		const bench = run("npm", ["run", "-s", "bench", "--", "--smoke", "--costs"], {});
		const code = await bench.wait();
		const report = bench.text;
		expect({ code, tail: code === 0 ? "" : report.slice(-2000) }).toEqual({ code: 0, tail: "" });
		const lines = report.split("\n");
		const header = lines.indexOf("| what | CPU µs per request: median of the rounds (range) | measured as |");
		expect(header).toBeGreaterThan(0);
		const rows = lines.slice(header + 2).filter(line => line.startsWith("| "));
		// One round in a smoke: a number per row, no range.
		for (const row of rows) expect(row).toMatch(/^\| .+ \| -?[\d.]+ \| .+ \|$/);
		expect(rows.map(row => row.split("|")[1]?.trim())).toEqual([
			"plain moleculer-web gateway, no auth",
			"Prometheus metrics (auth series, HTTP requests by route and status)",
			"graceful drain on SIGTERM",
			"retry on a lost node",
			"auth with a token cache hit, and the rest of the shipped process (request timeouts, the claims in the answer, the runner's config)",
			"auth, full RS256 check (instead of a hit)",
			"auth, full EdDSA check (instead of a hit)",
			"a requirement of every kind on the action, A",
			"a requirement of every kind on the action, B",
			"ours as shipped, scenario A"
		]);
	});

	it("floods our gateway with invalid tokens and unknown kids, accepts none, and keeps serving valid ones", async () => {
		const bench = run("npm", ["run", "-s", "bench", "--", "--flood", "--flood-count", "3000"], {});
		const code = await bench.wait();
		const report = bench.text;
		expect({ code, tail: code === 0 ? "" : report.slice(-2000) }).toEqual({ code: 0, tail: "" });
		expect(rowsOf(report, "bad signature, real kid")[0]).toContain("401: 3,000");
		expect(rowsOf(report, "unknown kids")[0]).toContain("401: 3,000");
		expect(report).toContain("Flood tokens accepted: 0");
		expect(report).toContain("Valid tokens during the floods: every one got 2xx");
		expect(report).toMatch(/^RSS growth after the floods \(after GC\): -?[\d.]+ MiB/m);
	});
});

/** valgrind is a tool of the machine, like the servers of other suites: missing, it fails CI and is a reported skip elsewhere. */
const describeWithCallgrind = describeWhen(callgrindInstalled(), "valgrind (with callgrind_control) is not installed: apt-get install valgrind", "the --instructions smoke is skipped");

describeWithCallgrind("npm run bench -- --instructions (smoke)", () => {
	it("counts the instructions per request of every gateway under callgrind, and an RSA check per request shows", async () => {
		const bench = run("npm", ["run", "-s", "bench", "--", "--instructions", "--smoke", "--scenarios", "A"], {});
		const code = await bench.wait();
		const report = bench.text;
		expect({ code, tail: code === 0 ? "" : report.slice(-2000) }).toEqual({ code: 0, tail: "" });
		expect(report).toMatch(/^Instructions per request, counted by valgrind's callgrind over 320 requests per gateway and scenario in 5 slices \(64 connections\),$/m);
		const rows = rowsOf(report, "A: one RS256 token");
		expect(rows.map(row => row.split("|")[2]?.trim())).toEqual(["plain moleculer-web, no auth", "plain moleculer-web, no auth, Moleculer's Prometheus metrics", "jwks-rsa + jsonwebtoken recipe", "ours, as shipped"]);
		const perRequest = rows.map(reqPerSecond);
		for (const count of perRequest) expect(count).toBeGreaterThan(10_000);
		for (const row of rows) expect(row.split("|")[4]?.trim()).toMatch(/^[\d,]+ to [\d,]+$/);
		expect(rows[0]?.split("|")[5]?.trim()).toBe("1.00");
		// The recipe checks an RS256 signature in every request; the plain gateway checks nothing.
		expect((perRequest[2] as number) / (perRequest[0] as number)).toBeGreaterThan(2);
		expect(rowsOf(report, "B")).toEqual([]);
	});
});

