/**
 * What a user of the package does, step by step: pack it (`npm pack`, whose prepack builds),
 * create an app in an empty folder, install the tarball with moleculer and moleculer-web from
 * the registry, compile it (TypeScript) and start it with a chosen Node binary.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Running } from "../support/process";
import { npmEnv, REPO_ROOT, tail, type Outcome } from "./matrix";

export interface PackedFile {
	readonly path: string;
	readonly size: number;
}

export interface PackedPackage {
	readonly name: string;
	readonly version: string;
	readonly tarball: string;
	/** Bytes of the .tgz. */
	readonly size: number;
	readonly unpackedSize: number;
	readonly files: readonly PackedFile[];
}

interface PackReport {
	name: string;
	version: string;
	filename: string;
	size: number;
	unpackedSize: number;
	files: PackedFile[];
}

/** `npm pack --json` of the repository into `destination`; prepack's output is not part of the JSON. */
export function packRepository(destination: string): PackedPackage {
	const pack = spawnSync("npm", ["pack", "--json", "--pack-destination", destination], { cwd: REPO_ROOT, env: npmEnv(), encoding: "utf8", timeout: 300_000 });
	if (pack.status !== 0) throw new Error(`npm pack failed (${pack.status ?? pack.signal}):\n${tail(pack.stdout)}\n${tail(pack.stderr)}`);
	const start = pack.stdout.startsWith("[") ? 0 : pack.stdout.lastIndexOf("\n[") + 1;
	const [report] = JSON.parse(pack.stdout.slice(start)) as PackReport[];
	if (!report) throw new Error(`npm pack reported nothing:\n${tail(pack.stdout)}`);
	return {
		name: report.name,
		version: report.version,
		tarball: join(destination, report.filename),
		size: report.size,
		unpackedSize: report.unpackedSize,
		files: report.files
	};
}

export interface InstalledManifest {
	readonly version: string;
	readonly private?: boolean;
	readonly exports?: unknown;
	readonly dependencies?: Record<string, string>;
	readonly peerDependencies?: Record<string, string>;
}

function shellQuote(word: string): string {
	return `'${word.replace(/'/g, `'\\''`)}'`;
}

export class FreshApp {
	private constructor(
		readonly name: string,
		readonly dir: string
	) {}

	/** An empty folder with only a package.json and the given source files. */
	static create(parent: string, name: string, packageJson: object, files: Record<string, string>): FreshApp {
		const dir = join(parent, name);
		mkdirSync(dir, { recursive: true });
		writeFileSync(join(dir, "package.json"), `${JSON.stringify(packageJson, null, "\t")}\n`);
		for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
		return new FreshApp(name, dir);
	}

	write(file: string, text: string): void {
		writeFileSync(join(this.dir, file), text);
	}

	/** The package.json npm installed of a dependency, read from the app's node_modules. */
	manifest(dependency: string): InstalledManifest {
		return JSON.parse(readFileSync(join(this.dir, "node_modules", dependency, "package.json"), "utf8")) as InstalledManifest;
	}

	has(path: string): boolean {
		return existsSync(join(this.dir, path));
	}

	/** Compiles with the repository's TypeScript, as `npx tsc -p .` in the app would. */
	compile(): Promise<{ code: number; output: string }> {
		const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
		return new Promise(resolve => {
			execFile(process.execPath, [tsc, "-p", this.dir], { cwd: this.dir, timeout: 120_000 }, (err, stdout, stderr) => {
				const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
				resolve({ code, output: `${stdout}${stderr}` });
			});
		});
	}

	/** `node <entry>` in the app's folder, with `env` over this environment minus the gateway's and npm's variables. */
	start(node: string, entry: string, env: Record<string, string>): Running {
		const base = npmEnv();
		for (const name of Object.keys(base)) {
			if (/^(JWT_|JWKS_|TRANSPORTER|SERVICES|SERVICEDIR|NODEID|NAMESPACE|METRICS|DEV_ISSUER|NODE_ENV|NODE_OPTIONS|PORT)/.test(name)) delete base[name];
		}
		return new Running(spawn(node, [entry], { cwd: this.dir, env: { ...base, ...env }, detached: true }));
	}
}

/** npm's error codes and the peer dependency it could not resolve, e.g. "ERESOLVE (peer moleculer@^0.15.0 from moleculer-web@0.11.0)". */
function whyInstallFailed(log: string): string {
	const codes = [...log.matchAll(/npm error code (\S+)/g)].map(match => match[1]).join(", ");
	const peer = log.match(/npm error peer ([^\n]+)/)?.[1];
	return `${codes || "failed"}${peer ? ` (peer ${peer.trim()})` : ""}`;
}

/**
 * `npm install <packages>` in each app at once (installs wait mostly on the network, so they
 * overlap); synchronous, so a failure can still turn the suite into a reported skip.
 */
export function installApps(installs: readonly { app: FreshApp; packages: readonly string[] }[]): Outcome<void> {
	const flags = "--no-audit --no-fund --prefer-offline --loglevel=error";
	const script = installs
		.map(({ app, packages }, index) => `(cd ${shellQuote(app.dir)} && npm install ${flags} ${packages.map(shellQuote).join(" ")} > install.log 2>&1) & p${index}=$!`)
		.concat(installs.map((_install, index) => `wait $p${index} || failed="$failed ${index}"`))
		.concat([`test -z "$failed"`])
		.join("\n");
	const run = spawnSync("sh", ["-c", script], { env: npmEnv(), encoding: "utf8", timeout: 300_000 });
	if (run.status === 0) return { ok: true, value: undefined };
	const logs = installs.map(({ app }) => {
		try {
			return { name: app.name, log: readFileSync(join(app.dir, "install.log"), "utf8") };
		} catch {
			return { name: app.name, log: "no install log" };
		}
	});
	// First line: npm's error code and the peer it could not resolve, so one line says why.
	const summary = logs.map(({ name, log }) => `${name}: ${whyInstallFailed(log)}`);
	return { ok: false, error: `npm install failed (${run.status ?? run.signal}): ${summary.join("; ")}\n${logs.map(({ name, log }) => `${name}:\n${tail(log, 1500)}`).join("\n")}` };
}
