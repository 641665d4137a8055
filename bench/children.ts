/**
 * The parent's side of the child processes: each runs a TypeScript entry of bench/ under tsx's
 * loader with an IPC channel, and dies with its IPC channel when the parent goes away.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { serveCommand } from "../test/support/serve-command";
import { callgrindPrefix } from "./callgrind";
import { runsOurService, type ChildKind, type GatewayMessage, type GatewaySpec, type LoadJob, type LoadMessage, type LoadResult } from "./protocol";

const TSX_LOADER = pathToFileURL(require.resolve("tsx")).href;
const children = new Set<ChildProcess>();

/** Every child process of the bench is tracked, so that a stop or a watchdog ends them all. */
export function track(child: ChildProcess): void {
	children.add(child);
	child.on("exit", () => children.delete(child));
}

/** Gateways may be asked for memory after a full GC; BENCH_CPU_PROF=dir: each writes a V8 CPU profile there when it exits. */
function gatewayArgs(entry: string): string[] {
	if (entry !== "gateway.ts") return [];
	const dir = process.env.BENCH_CPU_PROF;
	return ["--expose-gc", ...(dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [])];
}

/** `node` and its arguments, or the same under callgrind when a directory for its files is given. */
export function nodeCommand(args: readonly string[], callgrind?: string): [string, string[]] {
	if (callgrind === undefined) return [process.execPath, [...args]];
	const [valgrind, ...options] = callgrindPrefix(callgrind) as [string, ...string[]];
	return [valgrind, [...options, process.execPath, ...args]];
}

/**
 * A loaded machine (CI beside other jobs) can take half a minute to compile and start a
 * gateway; under callgrind, beside others starting the same way, minutes.
 */
export function startupMs(spec: GatewaySpec): number {
	return spec.callgrind === undefined ? 90_000 : 600_000;
}

export function spawnTs(entry: string, args: string[], env: Record<string, string>, label: string, callgrind?: string, nodeFlags: readonly string[] = []): ChildProcess {
	const [command, commandArgs] = nodeCommand([...nodeFlags, ...gatewayArgs(entry), "--import", TSX_LOADER, join(__dirname, entry), ...args], callgrind);
	const child = spawn(command, commandArgs, {
		cwd: join(__dirname, ".."),
		env: { ...process.env, ...env },
		stdio: ["ignore", "pipe", "pipe", "ipc"]
	});
	track(child);
	child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(`[${label}] ${chunk.toString()}`));
	child.stdout?.resume();
	return child;
}

/** Every child still running gets SIGKILL: used when the bench stops early. */
export function killChildren(): void {
	for (const child of children) child.kill("SIGKILL");
}

/** SIGTERM to every child still running, then SIGKILL to those still there after `graceMs`. */
export async function stopChildren(graceMs = 3000): Promise<void> {
	const running = [...children].filter(child => child.exitCode === null && child.signalCode === null);
	const exits = running.map(child => new Promise(resolve => child.once("exit", resolve)));
	for (const child of running) child.kill("SIGTERM");
	const timer = setTimeout(killChildren, graceMs);
	await Promise.all(exits);
	clearTimeout(timer);
}

export function exitError(child: ChildProcess, label: string): Promise<never> {
	return new Promise((_resolve, reject) => child.once("exit", code => reject(new Error(`${label} exited (${code}) unexpectedly`))));
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface Usage {
	readonly rss: number;
	readonly heapUsed: number;
	readonly cpuMicros: number;
}

/** A gateway under test, whichever way it was started. */
export interface Gateway {
	readonly spec: GatewaySpec;
	readonly url: string;
	/** The process' id (valgrind's, under callgrind: it runs node in that process); undefined before it started. */
	readonly pid: number | undefined;
	ready(): Promise<Gateway>;
	/** `settle`: after a full garbage collection, where the gateway can be asked for one. */
	usage(settle?: boolean): Promise<Usage>;
	stop(): void;
}

export interface IssuerEnv {
	readonly BENCH_ISSUER: string;
	readonly BENCH_JWKS_URI: string;
}

/** A baseline (or the bare-broker variant) built by bench/gateway.ts, answering over IPC. */
export class ChildGateway implements Gateway {
	url = "";
	private readonly child: ChildProcess;
	private readonly exited: Promise<never>;

	constructor(
		readonly spec: GatewaySpec & { readonly child: ChildKind },
		env: IssuerEnv
	) {
		// Children that run our api service get the shipped command's Node flags, so a cost variant
		// compares with ours as it runs (without `--no-memory-reducer` a variant counted after its
		// wait read ~35,000 instructions a request more); the baselines keep Node's defaults.
		const nodeFlags = runsOurService(spec.child) ? serveCommand().nodeFlags : [];
		this.child = spawnTs("gateway.ts", [spec.child], { ...env, ...spec.env }, `gateway ${spec.id}`, spec.callgrind, nodeFlags);
		this.exited = exitError(this.child, `gateway ${spec.label}`);
		this.exited.catch(() => undefined);
	}

	async ready(): Promise<this> {
		const port = await withTimeout(Promise.race([this.next("ready"), this.exited]), startupMs(this.spec), `starting gateway ${this.spec.id}`);
		this.url = `http://127.0.0.1:${port.port}`;
		return this;
	}

	get pid(): number | undefined {
		return this.child.pid;
	}

	/** `settle`: after a full garbage collection, for memory that is really kept. */
	async usage(settle = false): Promise<Usage> {
		const answer = this.next("usage");
		this.child.send({ type: "usage", settle });
		return withTimeout(Promise.race([answer, this.exited]), 5000, `usage of gateway ${this.spec.id}`);
	}

	stop(): void {
		if (this.child.exitCode === null) this.child.kill("SIGTERM");
	}

	private next<T extends GatewayMessage["type"]>(type: T): Promise<Extract<GatewayMessage, { type: T }>> {
		return new Promise(resolve => {
			const listener = (message: GatewayMessage): void => {
				if (message.type !== type) return;
				this.child.off("message", listener);
				resolve(message as Extract<GatewayMessage, { type: T }>);
			};
			this.child.on("message", listener);
		});
	}
}

export type JobSpec = LoadJob extends infer J ? (J extends LoadJob ? Omit<J, "id"> : never) : never;

export class LoadGenerator {
	private readonly child = spawnTs("loadgen.ts", [], {}, "loadgen");
	private readonly exited = exitError(this.child, "load generator");
	private readonly pending = new Map<number, { resolve(result: LoadResult): void; reject(err: Error): void }>();
	private nextId = 1;

	constructor() {
		this.exited.catch((err: Error) => {
			for (const job of this.pending.values()) job.reject(err);
		});
		this.child.on("message", (message: LoadMessage) => {
			const job = this.pending.get(message.id);
			if (job === undefined) return;
			this.pending.delete(message.id);
			if (message.type === "result") job.resolve(message.result);
			else job.reject(new Error(`load job failed: ${message.error}`));
		});
	}

	run(spec: JobSpec, timeoutMs: number): Promise<LoadResult> {
		const id = this.nextId++;
		const result = new Promise<LoadResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
		this.child.send({ ...spec, id });
		return withTimeout(result, timeoutMs, `load job ${spec.type} against ${spec.url}`);
	}

	/** Ends the jobs under way early; each still answers with what it measured. */
	stopJobs(): void {
		this.child.send({ type: "stop" });
	}

	close(): void {
		if (this.child.exitCode === null) this.child.kill("SIGTERM");
	}
}
