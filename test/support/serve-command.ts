/**
 * The command `npm run serve` runs (package.json), which the Docker image runs too: the bench
 * starts "ours" with it and the soak gives its gateway the same Node flags, so both measure
 * the process as it ships.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

export interface ServeCommand {
	/** Node's own flags, between `node` and the script. */
	readonly nodeFlags: readonly string[];
	/** The script, relative to the project root. */
	readonly script: string;
}

export function serveCommand(root: string = ROOT): ServeCommand {
	const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
	const words = (scripts.serve ?? "").trim().split(/\s+/);
	if (words[0] !== "node" || words.length < 2) throw new Error(`package.json's serve script is not "node [flags] <script>": ${scripts.serve}`);
	return { nodeFlags: words.slice(1, -1), script: words[words.length - 1] as string };
}
