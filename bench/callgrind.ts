/**
 * Instructions a gateway executes, counted by valgrind's callgrind (`npm run bench --
 * --instructions`). A count does not depend on what else the machine or its host is doing, so
 * it resolves differences that a shared VM's noise hides from req/s and CPU time (which it
 * does not replace: it says nothing of cache misses, the kernel's share or waiting).
 *
 * The gateway runs under callgrind with instrumentation off, so it starts and warms up at a
 * fraction of its speed instead of a fiftieth; `callgrind_control` turns it on, zeroes the
 * counters, and dumps them after the counted requests.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const OUT = "callgrind.out";

export function callgrindInstalled(): boolean {
	return spawnSync("valgrind", ["--version"], { stdio: "ignore" }).status === 0 && spawnSync("callgrind_control", ["-h"], { stdio: "ignore" }).error === undefined;
}

/** What goes before `node ...` to run a process under callgrind, its files in `dir`. */
export function callgrindPrefix(dir: string): string[] {
	// Valgrind's own messages go to a file: the gateway's output stays its own.
	return ["valgrind", "--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${join(dir, `${OUT}.%p`)}`, `--log-file=${join(dir, "valgrind.%p.log")}`];
}

function control(pid: number, args: readonly string[]): void {
	const result = spawnSync("callgrind_control", [...args, String(pid)], { encoding: "utf8", timeout: 120_000 });
	if (result.status !== 0 || result.error !== undefined) {
		throw new Error(`callgrind_control ${args.join(" ")} ${pid} failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`);
	}
}

export function instrument(pid: number, on: boolean): void {
	control(pid, ["-i", on ? "on" : "off"]);
}

export function zeroCounters(pid: number): void {
	control(pid, ["-z"]);
}

function dumps(dir: string, pid: number): string[] {
	return readdirSync(dir).filter(name => name.startsWith(`${OUT}.${pid}.`));
}

/** The instructions in one of callgrind's dump files: its `summary:` (or `totals:`) line. */
export function instructionsIn(text: string): number {
	const line = /^(?:summary|totals): (\d+)/m.exec(text);
	if (line === null) throw new Error("a callgrind dump without a summary line");
	return Number(line[1]);
}

/** Dumps the counters (every thread of the process) and returns the instructions since they were zeroed. */
export function dumpInstructions(dir: string, pid: number): number {
	const before = new Set(dumps(dir, pid));
	control(pid, ["-d"]);
	const fresh = dumps(dir, pid).filter(name => !before.has(name));
	if (fresh.length !== 1) throw new Error(`callgrind wrote ${fresh.length} dump files for process ${pid}, not one`);
	return instructionsIn(readFileSync(join(dir, fresh[0] as string), "utf8"));
}
