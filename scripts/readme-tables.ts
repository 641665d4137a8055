/**
 * The README's configuration and troubleshooting tables, written from the code's own config
 * schema and reason table. `npm run docs:tables` prints them; test/unit/readme.spec.ts fails
 * when the README drifts from them.
 */
import { CONFIG_VARIABLES } from "../lib/auth/config";
import { REASONS } from "../lib/auth/reasons";

function code(value: string): string {
	return value === "none" || value === "discovered" ? value : `\`${value}\``;
}

export function configurationTable(): string {
	const rows = CONFIG_VARIABLES.map(v => `| \`${v.name}\` | ${code(v.default)} | ${v.meaning} |`);
	return ["| variable | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

export function reasonsTable(): string {
	const rows = Object.entries(REASONS).map(([reason, spec]) => `| \`${reason}\` | ${spec.status} | \`${spec.type}\` | ${spec.description} | ${spec.remedy} |`);
	return ["| `data.reason` | status | `type` | meaning | what to do |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

if (require.main === module) {
	process.stdout.write(`${configurationTable()}\n\n${reasonsTable()}\n`);
}
