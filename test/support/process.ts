/**
 * A child process whose output a test can wait on: used to run the project the way a user
 * does (npm start, npm run dev, the REPL, split nodes).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export class Running {
	output = "";
	exitCode: number | null = null;
	private readonly exited: Promise<number | null>;

	constructor(readonly child: ChildProcessWithoutNullStreams) {
		child.stdout.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
		child.stderr.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
		this.exited = new Promise(resolve =>
			child.on("exit", code => {
				this.exitCode = code;
				resolve(code);
			})
		);
	}

	/** Output without ANSI colours. */
	get text(): string {
		return this.output.replace(/\x1b\[[0-9;]*m/g, "");
	}

	async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const match = this.text.match(pattern);
			if (match) return match;
			if (this.exitCode !== null) throw new Error(`process exited (${this.exitCode}) before ${pattern}:\n${this.text.slice(-3000)}`);
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${this.text.slice(-3000)}`);
			await new Promise(resolve => setTimeout(resolve, 50));
		}
	}

	write(line: string): void {
		this.child.stdin.write(`${line}\n`);
	}

	wait(): Promise<number | null> {
		return this.exited;
	}

	async stop(): Promise<number | null> {
		if (this.exitCode === null) {
			// The process group: npm and the node process it started.
			try {
				process.kill(-(this.child.pid as number), "SIGTERM");
			} catch {
				// already gone
			}
		}
		const timer = setTimeout(() => {
			try {
				process.kill(-(this.child.pid as number), "SIGKILL");
			} catch {
				// already gone
			}
		}, 10_000);
		const code = await this.exited;
		clearTimeout(timer);
		return code;
	}
}

/** Runs a command in the project root with `env` added to a clean copy of this environment. */
export function run(command: string, args: string[], env: Record<string, string>): Running {
	const base: Record<string, string | undefined> = { ...process.env };
	for (const name of Object.keys(base)) {
		if (/^(JWT_|JWKS_|TRANSPORTER|SERVICES|SERVICEDIR|NODEID|NAMESPACE|METRICS|DEV_ISSUER|NODE_ENV|PORT)/.test(name)) delete base[name];
	}
	const child = spawn(command, args, { cwd: `${__dirname}/../..`, env: { ...base, ...env }, detached: true });
	return new Running(child);
}
