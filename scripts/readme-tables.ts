/**
 * The README's options, configuration and troubleshooting tables, written from the code's own
 * option and variable lists and reason table. `npm run docs:tables` rewrites them in README.md;
 * test/repo/readme.spec.ts fails when the README drifts from them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_VARIABLES } from "../lib/auth/policy/variables";
import { REASONS } from "../lib/auth/policy/reasons";
import { OPTION_DOCS } from "../lib/auth/policy/option-docs";

function code(value: string): string {
	return value === "none" || value === "discovered" ? value : `\`${value}\``;
}

export function configurationTable(): string {
	const rows = CONFIG_VARIABLES.map(v => `| \`${v.name}\` | ${code(v.default)} | ${v.meaning} |`);
	return ["| variable | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

export function optionsTable(): string {
	const rows = OPTION_DOCS.map(o => `| \`${o.option}\` | \`${o.type}\` | ${code(o.default)} | ${o.meaning} |`);
	return ["| option | type | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

export function reasonsTable(): string {
	const rows = Object.entries(REASONS).map(([reason, spec]) => `| \`${reason}\` | ${spec.status} | \`${spec.type}\` | ${spec.description} | ${spec.remedy} |`);
	return ["| `data.reason` | status | `type` | meaning | what to do |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

/** Replaces each table (its header line and the rows after it) in the README text. */
export function withTables(readme: string): string {
	const lines = readme.split("\n");
	for (const table of [optionsTable(), configurationTable(), reasonsTable()]) {
		const rows = table.split("\n");
		const start = lines.indexOf(rows[0] as string);
		if (start < 0) throw new Error(`README has no table starting with ${rows[0]}`);
		let end = start;
		while (end < lines.length && (lines[end] as string).startsWith("|")) end += 1;
		lines.splice(start, end - start, ...rows);
	}
	return lines.join("\n");
}

if (require.main === module) {
	const path = join(__dirname, "..", "README.md");
	writeFileSync(path, withTables(readFileSync(path, "utf8")));
}
