/**
 * Readers for the container files, without a Docker engine: a Dockerfile parser (stages, COPY,
 * ENV, RUN, WORKDIR), Docker's .dockerignore matching, and docker-compose.yml service accessors.
 */
import { readFileSync } from "node:fs";
import { load } from "js-yaml";
import { join, posix } from "node:path";

export const root = join(__dirname, "../..");
export const read = (file: string): string => readFileSync(join(root, file), "utf8");

// ---------- small helpers: unknown -> typed ----------

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function record(value: unknown, what: string): Json {
	if (!isRecord(value)) throw new Error(`${what} is not a mapping`);
	return value;
}

export function loadYaml(text: string): unknown {
	return load(text);
}

// ---------- Dockerfile ----------

export interface Instruction {
	keyword: string;
	args: string;
}

export interface Stage {
	image: string;
	name: string | null;
	instructions: Instruction[];
}

export interface Dockerfile {
	globalArgs: Record<string, string>;
	stages: Stage[];
}

/** Joins `\` continuations, drops comments and blank lines, splits into instructions. */
export function instructions(text: string): Instruction[] {
	const result: Instruction[] = [];
	let pending = "";
	for (const line of text.split(/\r?\n/)) {
		const trimmed = line.trim();
		if (trimmed.startsWith("#") || (trimmed === "" && pending === "")) continue;
		if (trimmed.endsWith("\\")) {
			pending += trimmed.slice(0, -1) + " ";
			continue;
		}
		const full = (pending + trimmed).trim();
		pending = "";
		if (full === "") continue;
		const match = /^(\S+)\s*(.*)$/.exec(full);
		if (match) result.push({ keyword: match[1].toUpperCase(), args: match[2] });
	}
	if (pending.trim() !== "") throw new Error("Dockerfile ends inside a line continuation");
	return result;
}

export function parseDockerfile(text: string): Dockerfile {
	const globalArgs: Record<string, string> = {};
	const stages: Stage[] = [];
	for (const instruction of instructions(text)) {
		if (instruction.keyword === "FROM") {
			const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
			if (!match) throw new Error(`cannot read FROM ${instruction.args}`);
			const image = match[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_all, braced?: string, bare?: string) => globalArgs[braced ?? bare ?? ""] ?? "");
			stages.push({ image, name: match[2] ?? null, instructions: [] });
		} else if (stages.length === 0) {
			if (instruction.keyword !== "ARG") throw new Error(`${instruction.keyword} before the first FROM`);
			const [name, ...value] = instruction.args.split("=");
			globalArgs[name.trim()] = value.join("=").trim();
		} else {
			stages[stages.length - 1].instructions.push(instruction);
		}
	}
	return { globalArgs, stages };
}

/** JSON (exec) form, or whitespace-separated words. */
export function words(args: string): string[] {
	const trimmed = args.trim();
	if (trimmed.startsWith("[")) {
		const parsed: unknown = JSON.parse(trimmed);
		if (!Array.isArray(parsed) || !parsed.every(item => typeof item === "string")) throw new Error(`not a JSON string array: ${args}`);
		return parsed;
	}
	return trimmed.split(/\s+/).filter(word => word !== "");
}

export interface Copy {
	from: string | null;
	sources: string[];
	/** Absolute path in the image. */
	destination: string;
	/** Absolute path in the image the destination is a directory of. */
	destinationIsDirectory: boolean;
}

/** Each instruction of a stage with the WORKDIR in force when it runs. */
export function withWorkdir(stage: Stage): { instruction: Instruction; workdir: string }[] {
	let workdir = "/";
	return stage.instructions.map(instruction => {
		if (instruction.keyword === "WORKDIR") workdir = posix.resolve(workdir, instruction.args.trim());
		return { instruction, workdir };
	});
}

export function copies(stage: Stage): Copy[] {
	return withWorkdir(stage)
		.filter(({ instruction }) => instruction.keyword === "COPY" || instruction.keyword === "ADD")
		.map(({ instruction, workdir }) => {
			const all = words(instruction.args);
			const flags = all.filter(word => word.startsWith("--"));
			const paths = all.filter(word => !word.startsWith("--"));
			const fromFlag = flags.find(flag => flag.startsWith("--from="));
			const rawDestination = paths[paths.length - 1];
			return {
				from: fromFlag === undefined ? null : fromFlag.slice("--from=".length),
				sources: paths.slice(0, -1),
				destination: posix.resolve(workdir, rawDestination),
				destinationIsDirectory: rawDestination.endsWith("/") || rawDestination === "." || paths.length > 2
			};
		});
}

export function env(stage: Stage): Record<string, string> {
	const result: Record<string, string> = {};
	for (const { keyword, args } of stage.instructions) {
		if (keyword !== "ENV") continue;
		const pairs = args.match(/(\w+)=("[^"]*"|\S+)/g);
		if (pairs) {
			for (const pair of pairs) {
				const [name, ...value] = pair.split("=");
				result[name] = value.join("=").replace(/^"|"$/g, "");
			}
		} else {
			const [name, ...value] = args.split(/\s+/);
			result[name] = value.join(" ");
		}
	}
	return result;
}

export function runs(stage: Stage): string[] {
	return stage.instructions.filter(({ keyword }) => keyword === "RUN").map(({ args }) => args);
}

export function last(stage: Stage, keyword: string): Instruction | undefined {
	return stage.instructions.filter(instruction => instruction.keyword === keyword).pop();
}

/** `npm ci` commands of a RUN line, each with its own flags. */
export function npmCiCommands(run: string): string[] {
	return run
		.split(/&&|\|\||;/)
		.map(command => command.trim())
		.filter(command => /^npm\s+(ci|clean-install)\b/.test(command));
}

export const NODE_TAG = /^node:(\d+)\.(\d+)\.(\d+)(?:-[a-z0-9.-]+)?(?:@sha256:[0-9a-f]{64})?$/;

// ---------- .dockerignore (Docker's matching: from the context root, `**` across directories) ----------

function globToRegExp(pattern: string): RegExp {
	let source = "";
	for (let i = 0; i < pattern.length; i++) {
		const char = pattern[i];
		if (char === "*" && pattern[i + 1] === "*") {
			source += "(?:.*)";
			i++;
			if (pattern[i + 1] === "/") i++;
		} else if (char === "*") source += "[^/]*";
		else if (char === "?") source += "[^/]";
		else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
	}
	// A pattern naming a directory excludes everything under it.
	return new RegExp(`^${source}(?:/.*)?$`);
}

export function dockerignored(patterns: string[], file: string): boolean {
	const path = posix.normalize(file).replace(/^\.\/|\/$/g, "");
	let ignored = false;
	for (const raw of patterns) {
		const negated = raw.startsWith("!");
		const pattern = posix.normalize((negated ? raw.slice(1) : raw).trim()).replace(/^\/|\/$/g, "");
		if (globToRegExp(pattern).test(path)) ignored = !negated;
	}
	return ignored;
}

// ---------- docker-compose.yml ----------

export interface ComposeService {
	name: string;
	spec: Json;
	env: Record<string, string>;
}

export function composeEnv(value: unknown): Record<string, string> {
	const result: Record<string, string> = {};
	if (value === undefined || value === null) return result;
	if (Array.isArray(value)) {
		for (const item of value) {
			if (typeof item !== "string") throw new Error(`environment entry ${String(item)} is not KEY=VALUE`);
			const [name, ...rest] = item.split("=");
			result[name] = rest.join("=");
		}
		return result;
	}
	for (const [name, item] of Object.entries(record(value, "environment"))) {
		if (item !== null && item !== undefined) result[name] = String(item);
	}
	return result;
}

export function dependsOn(spec: Json): Record<string, string> {
	const value = spec.depends_on;
	if (value === undefined) return {};
	if (Array.isArray(value)) return Object.fromEntries(value.map(name => [String(name), "service_started"]));
	return Object.fromEntries(
		Object.entries(record(value, "depends_on")).map(([name, item]) => {
			const condition = isRecord(item) && typeof item.condition === "string" ? item.condition : "service_started";
			return [name, condition];
		})
	);
}

export function publishedPorts(spec: Json): { published: number; target: number }[] {
	const value = spec.ports;
	if (value === undefined) return [];
	if (!Array.isArray(value)) throw new Error("ports is not a list");
	return value.map(item => {
		if (isRecord(item)) return { published: Number(item.published), target: Number(item.target) };
		const match = /^(?:[\d.]+:)?(\d+):(\d+)(?:\/tcp)?$/.exec(String(item));
		if (!match) throw new Error(`cannot read port ${String(item)}`);
		return { published: Number(match[1]), target: Number(match[2]) };
	});
}

export function buildContext(spec: Json): string | null {
	if (typeof spec.build === "string") return spec.build;
	if (isRecord(spec.build) && typeof spec.build.context === "string") return spec.build.context;
	return null;
}
