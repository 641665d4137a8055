// `npm run test:matrix`: the package spec (test/package/pack.spec.ts) once per combination of
// Node x moleculer x moleculer-web in test/package/matrix.json (and once per floor of the peer
// ranges), then a table of what passed.
// A combination that cannot work is listed with its reason and not run (MATRIX_FORCE=1 runs it
// anyway, to find out again). Exits non-zero when a combination that should work fails.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const matrix = JSON.parse(readFileSync(join(root, "test", "package", "matrix.json"), "utf8"));
const force = Boolean(process.env.MATRIX_FORCE);

/** "20" matches "20.12.0"; a rule's missing field matches anything. */
const matches = (rule, value) => rule === undefined || value === rule || value.startsWith(`${rule}.`);

function unsupportedReason(combo) {
	const rule = matrix.unsupported.find(
		candidate => matches(candidate.node, combo.node) && matches(candidate.moleculer, combo.moleculer) && matches(candidate.moleculerWeb, combo.moleculerWeb)
	);
	return rule?.reason ?? null;
}

/** Runs the spec for one combination; resolves with its jest JSON report and output. */
function runSpec(combo, reportFile) {
	const env = { ...process.env, MATRIX_NODE: combo.node, MATRIX_MOLECULER: combo.moleculer, MATRIX_MOLECULER_WEB: combo.moleculerWeb };
	const args = [join(root, "node_modules", "jest", "bin", "jest.js"), "--runInBand", "--json", "--outputFile", reportFile, "test/package/pack.spec.ts"];
	return new Promise(resolve => {
		const child = spawn(process.execPath, args, { cwd: root, env });
		let output = "";
		child.stdout.on("data", chunk => (output += chunk));
		child.stderr.on("data", chunk => (output += chunk));
		child.on("exit", code => {
			let report = null;
			try {
				report = JSON.parse(readFileSync(reportFile, "utf8"));
			} catch {
				// jest failed before writing it: the output says why
			}
			resolve({ code, output, report });
		});
	});
}

/** The first failing test and the first line of its message. */
function firstFailure(report, output) {
	for (const file of report?.testResults ?? []) {
		for (const test of file.assertionResults ?? []) {
			if (test.status === "failed") return `${test.title}: ${(test.failureMessages?.[0] ?? "").split("\n").find(line => line.trim()) ?? ""}`.slice(0, 300);
		}
		if (file.status === "failed" && file.message) return file.message.split("\n").find(line => line.trim())?.slice(0, 300) ?? "";
	}
	return output.trim().split("\n").slice(-3).join(" ").slice(0, 300);
}

function resultOf({ code, output, report }) {
	const resolved = output.match(/moleculer (\d+\.\d+\.\d+), moleculer-web (\d+\.\d+\.\d+)/);
	const versions = resolved ? `moleculer ${resolved[1]}, moleculer-web ${resolved[2]}` : "";
	const passed = report?.numPassedTests ?? 0;
	const failed = report?.numFailedTests ?? 0;
	const skipped = report?.numPendingTests ?? 0;
	if (code === 0 && failed === 0 && skipped === 0 && passed > 0) return { status: "passed", detail: `${passed} tests; ${versions}` };
	if (code === 0 && skipped > 0) return { status: "skipped", detail: (output.match(/SKIPPED: ([^\n]+)/)?.[1] ?? `${skipped} skipped`).slice(0, 300) };
	return { status: "FAILED", detail: `${failed} of ${passed + failed} failed; ${versions}; ${firstFailure(report, output)}` };
}

// Every line at its newest, then the floors of the peer ranges package.json states.
const combos = [
	...matrix.node.flatMap(node => matrix.moleculer.flatMap(moleculer => matrix.moleculerWeb.map(moleculerWeb => ({ node, moleculer, moleculerWeb })))),
	...matrix.floors
];
const rows = [];
const scratch = mkdtempSync(join(tmpdir(), "test-matrix-"));
try {
	for (const [index, combo] of combos.entries()) {
		const label = `Node ${combo.node}, moleculer ${combo.moleculer}, moleculer-web ${combo.moleculerWeb}`;
		const reason = unsupportedReason(combo);
		if (reason && !force) {
			rows.push({ ...combo, status: "not run", detail: reason });
			process.stdout.write(`${label}: not run (${reason})\n`);
			continue;
		}
		process.stdout.write(`${label}: running...\n`);
		const started = Date.now();
		const result = resultOf(await runSpec(combo, join(scratch, `report-${index}.json`)));
		const seconds = Math.round((Date.now() - started) / 1000);
		rows.push({ ...combo, ...result, detail: `${result.detail} (${seconds} s)`, expected: reason === null });
		process.stdout.write(`${label}: ${result.status} in ${seconds} s\n`);
	}
} finally {
	rmSync(scratch, { recursive: true, force: true });
}

process.stdout.write("\n| Node | moleculer | moleculer-web | result | detail |\n| --- | --- | --- | --- | --- |\n");
for (const row of rows) process.stdout.write(`| ${row.node} | ${row.moleculer} | ${row.moleculerWeb} | ${row.status} | ${row.detail.replace(/\|/g, "\\|")} |\n`);
process.exitCode = rows.some(row => row.status !== "passed" && row.status !== "not run" && row.expected) ? 1 : 0;
