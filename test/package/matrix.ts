/**
 * Which combinations of Node, moleculer and moleculer-web the package spec runs. matrix.json
 * holds the matrix (read by scripts/test-matrix.mjs too); MATRIX_NODE, MATRIX_MOLECULER and
 * MATRIX_MOLECULER_WEB choose one combination, otherwise the spec runs the CI pair.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import matrix from "./matrix.json";

export interface Combination {
	/** An exact Node version, e.g. "22.23.3". */
	readonly node: string;
	/** A moleculer version range as npm takes it, e.g. "0.14" (its newest 0.14.x). */
	readonly moleculer: string;
	readonly moleculerWeb: string;
}

export const REPO_ROOT = join(__dirname, "..", "..");

/** Node binaries from the npm registry's `node` package; git-ignored. */
const NODE_CACHE = join(REPO_ROOT, ".cache", "package-matrix");

export function describeCombination(combo: Combination): string {
	return `Node ${combo.node}, moleculer ${combo.moleculer}, moleculer-web ${combo.moleculerWeb}`;
}

/** The combinations this run asks for: one from the MATRIX_* variables, or CI's pair. */
export function requestedCombinations(env: NodeJS.ProcessEnv = process.env): Combination[] {
	if (!env.MATRIX_NODE && !env.MATRIX_MOLECULER && !env.MATRIX_MOLECULER_WEB) return matrix.ci;
	return [
		{
			node: env.MATRIX_NODE || matrix.default.node,
			moleculer: env.MATRIX_MOLECULER || matrix.default.moleculer,
			moleculerWeb: env.MATRIX_MOLECULER_WEB || matrix.default.moleculerWeb
		}
	];
}

/** "20" matches "20.12.0"; "0.14" matches "0.14". */
function matches(rule: string | undefined, value: string): boolean {
	return rule === undefined || value === rule || value.startsWith(`${rule}.`);
}

/** Why the combination cannot work (it is then listed, not run), or null. */
export function unsupportedReason(combo: Combination): string | null {
	const rule = matrix.unsupported.find(
		(candidate: { node?: string; moleculer?: string; moleculerWeb?: string; reason: string }) =>
			matches(candidate.node, combo.node) && matches(candidate.moleculer, combo.moleculer) && matches(candidate.moleculerWeb, combo.moleculerWeb)
	);
	return rule?.reason ?? null;
}

export function nodeMajor(version: string): string {
	return version.split(".")[0] as string;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/**
 * The Node binary of `version`: this process's own when it is that version, else the registry's
 * `node` package installed once under .cache/package-matrix/node-<version>.
 */
export function nodeBinary(version: string): Outcome<string> {
	if (process.version === `v${version}`) return { ok: true, value: process.execPath };
	const prefix = join(NODE_CACHE, `node-${version}`);
	const binary = join(prefix, "node_modules", "node", "bin", "node");
	if (!existsSync(binary)) {
		mkdirSync(prefix, { recursive: true });
		// The `node` package fetches its binary in a preinstall script, which npm must be allowed to run.
		writeFileSync(join(prefix, "package.json"), JSON.stringify({ private: true, allowScripts: { node: true } }));
		const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", `node@${version}`], { cwd: prefix, env: npmEnv(), encoding: "utf8", timeout: 300_000 });
		if (install.status !== 0) return { ok: false, error: `npm install node@${version} failed (${install.status ?? install.signal}): ${tail(install.stderr)}` };
	}
	const check = spawnSync(binary, ["--version"], { encoding: "utf8" });
	if (check.stdout?.trim() !== `v${version}`) return { ok: false, error: `${binary} answers ${JSON.stringify(check.stdout)} to --version` };
	return { ok: true, value: binary };
}

/**
 * This environment without the variables of an enclosing npm run (its local prefix would point a
 * nested npm at this repository), except the registry a user may have chosen.
 */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [name, value] of Object.entries(process.env)) {
		if (!/^(npm_|INIT_CWD$)/i.test(name) || /^npm_config_registry$/i.test(name)) env[name] = value;
	}
	return { ...env, ...extra };
}

export function tail(text: string | null | undefined, length = 2000): string {
	return (text ?? "").slice(-length);
}
