/**
 * Ours as a user runs it: the built project started with the command of `npm run serve`, which
 * the Docker image runs too (bin/serve.js: moleculer-runner with dist/moleculer.config.js), with the
 * environment a production user sets (NODE_ENV=production, JWT_ISSUER) and every other value
 * at its default. Only the ports are chosen here, so that runs never collide; a variant adds
 * its own variables (`METRICS=false`, ...), and its label says so.
 *
 * The process is measured from outside: CPU time and RSS from /proc (its threads included).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../test/support/gateway";
import { serveCommand } from "../test/support/serve-command";
import { ChildGateway, exitError, nodeCommand, startupMs, track, withTimeout, type Gateway, type IssuerEnv, type Usage } from "./children";
import type { GatewaySpec } from "./protocol";

const ROOT = join(__dirname, "..");

/**
 * BENCH_SHIPPED_ROOT=<checkout>: "ours" is another build of the project (say, an earlier commit
 * checked out, installed and built there), for before/after figures on one machine. A checkout
 * without bin/serve.js is started the way it shipped then: moleculer-runner with its config.
 */
function command(spec: GatewaySpec): { cwd: string; args: string[]; env: Record<string, string> } {
	const root = spec.root ?? process.env.BENCH_SHIPPED_ROOT;
	if (root === undefined || root === "") {
		const serve = serveCommand(ROOT);
		return { cwd: ROOT, args: [...serve.nodeFlags, join(ROOT, serve.script)], env: {} };
	}
	if (existsSync(join(root, "bin", "serve.js"))) {
		const serve = serveCommand(root);
		return { cwd: root, args: [...serve.nodeFlags, join(root, serve.script)], env: {} };
	}
	const runner = join(root, "node_modules", "moleculer", "bin", "moleculer-runner.js");
	return { cwd: root, args: [runner, "--config", join(root, "dist", "moleculer.config.js")], env: { SERVICEDIR: join(root, "dist", "services") } };
}
/** Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/** Variables of ours or of the runner that a developer's shell may hold; the shipped process gets none of them. */
const INHERITED = /^(JWT_|JWKS_|TRANSPORTER|SERVICES|SERVICEDIR|NODEID|NAMESPACE|METRICS|MOL_|DEV_ISSUER|NODE_ENV|PORT|LOGLEVEL|TRACING|WEB_CONCURRENCY|REQUEST_)/;

function cleanEnv(): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [name, value] of Object.entries(process.env)) {
		if (value !== undefined && !INHERITED.test(name)) env[name] = value;
	}
	// A developer may pin the signature threads for a run; the default is the product's.
	if (process.env.JWT_VERIFY_THREADS !== undefined) env.JWT_VERIFY_THREADS = process.env.JWT_VERIFY_THREADS;
	return env;
}

/** CPU time (all threads) and resident memory of a running process, read from /proc. */
export function processUsage(pid: number): Usage {
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	// Fields after the command name, which may itself hold spaces: state is field 3.
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	const ticks = Number(fields[11]) + Number(fields[12]);
	return { cpuMicros: (ticks * 1e6) / TICKS_PER_SECOND, rss: Number(fields[21]) * PAGE_BYTES, heapUsed: Number.NaN };
}

export class ShippedGateway implements Gateway {
	url = "";
	private child: ChildProcess | null = null;
	private exited: Promise<never> | null = null;
	private output = "";

	constructor(
		readonly spec: GatewaySpec,
		private readonly issuer: IssuerEnv
	) {}

	async ready(): Promise<this> {
		const [port, metricsPort] = [await freePort(), await freePort()];
		const started = command(this.spec);
		const env = { ...cleanEnv(), ...started.env, NODE_ENV: "production", JWT_ISSUER: this.issuer.BENCH_ISSUER, PORT: String(port), METRICS_PORT: String(metricsPort), ...this.spec.env };
		const profile = process.env.BENCH_CPU_PROF;
		const nodeArgs = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
		const [program, args] = nodeCommand([...nodeArgs, ...started.args], this.spec.callgrind);
		const child = spawn(program, args, { cwd: started.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
		track(child);
		// Pino's lines are kept (the last few) for a failure report, never echoed while measuring.
		const keep = (chunk: Buffer): void => {
			this.output = (this.output + chunk.toString()).slice(-4000);
		};
		child.stdout?.on("data", keep);
		child.stderr?.on("data", keep);
		this.child = child;
		this.exited = exitError(child, `gateway ${this.spec.label}`);
		this.exited.catch(() => undefined);
		this.url = `http://127.0.0.1:${port}`;
		try {
			await withTimeout(Promise.race([this.waitReady(), this.exited]), startupMs(this.spec), `starting gateway ${this.spec.id}`);
		} catch (err) {
			throw new Error(`${(err as Error).message}\n${this.output}`);
		}
		return this;
	}

	get pid(): number | undefined {
		return this.child?.pid;
	}

	async usage(): Promise<Usage> {
		if (this.child?.pid === undefined) throw new Error(`gateway ${this.spec.id} is not running`);
		return processUsage(this.child.pid);
	}

	stop(): void {
		if (this.child !== null && this.child.exitCode === null) this.child.kill("SIGTERM");
	}

	/** Ready is what an orchestrator waits for: /health/ready answers 200 (the keys are fetched). */
	private async waitReady(): Promise<void> {
		const deadline = Date.now() + startupMs(this.spec);
		while (Date.now() < deadline) {
			try {
				if ((await fetch(`${this.url}/health/ready`)).status === 200) return;
			} catch {
				// not listening yet
			}
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	}
}

/** A gateway of a run: the shipped process, or a baseline or variant built by bench/gateway.ts. */
export function startGateway(spec: GatewaySpec, env: IssuerEnv): Gateway {
	return spec.child === undefined ? new ShippedGateway(spec, env) : new ChildGateway({ ...spec, child: spec.child }, env);
}
