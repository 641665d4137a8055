/**
 * The Dockerfile and .dockerignore, checked without a Docker engine: held against the project they
 * package (build output, routes, Node version, environment), and the health-check script run for real.
 */
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, posix } from "node:path";
import ts from "typescript";
import { DEFAULTS } from "../../lib/auth/policy/config";
import { copies, dockerignored, env, last, NODE_TAG, npmCiCommands, parseDockerfile, read, record, root, runs, withWorkdir, words } from "../support/dockerfile";
import type { Copy, Instruction, Stage } from "../support/dockerfile";

// ---------- the files under test ----------

const dockerfile = parseDockerfile(read("Dockerfile"));
const finalStage = dockerfile.stages[dockerfile.stages.length - 1];
const buildStages = dockerfile.stages.slice(0, -1);
const imageEnv = finalStage ? env(finalStage) : {};
const packageJson = record(JSON.parse(read("package.json")), "package.json");

/** The build output path tsc gives a source file under tsconfig.build.json. */
function buildOutputOf(source: string): string[] {
	const host: ts.ParseConfigFileHost = {
		...ts.sys,
		onUnRecoverableConfigFileDiagnostic: diagnostic => {
			throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
		}
	};
	const parsed = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.build.json"), {}, host);
	if (!parsed) throw new Error("tsconfig.build.json cannot be read");
	const file = parsed.fileNames.find(name => posix.normalize(name) === posix.normalize(join(root, source)));
	if (file === undefined) return [];
	return ts.getOutputFileNames(parsed, file, false).map(output => posix.relative(root, output));
}

function major(version: string, what: string): number {
	const match = /^\s*(?:>=|\^|~|=)?\s*v?(\d+)/.exec(version);
	if (!match) throw new Error(`${what} "${version}" names no major version`);
	return Number(match[1]);
}

// ---------- the health-check script, run for real ----------

function runHealthcheck(script: string, vars: Record<string, string>): Promise<number> {
	return new Promise(resolve => {
		const child = execFile(process.execPath, [join(root, script)], { env: { PATH: process.env.PATH ?? "", ...vars }, timeout: 10_000 });
		child.on("exit", code => resolve(code ?? -1));
	});
}

interface FakeNode {
	port: number;
	paths: string[];
	status: number;
	server: Server;
}

function fakeNode(): Promise<FakeNode> {
	const node: FakeNode = { port: 0, paths: [], status: 200, server: createServer() };
	node.server.on("request", (req, res) => {
		node.paths.push(req.url ?? "");
		res.writeHead(node.status).end();
	});
	return new Promise(resolve =>
		node.server.listen(0, "127.0.0.1", () => {
			node.port = (node.server.address() as AddressInfo).port;
			resolve(node);
		})
	);
}

async function closedPort(): Promise<number> {
	const node = await fakeNode();
	await new Promise(resolve => node.server.close(resolve));
	return node.port;
}

// ---------- tests ----------

describe("Dockerfile", () => {
	it("is multi-stage, every stage on one pinned Node 24.x.y image (never latest)", () => {
		expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
		for (const stage of dockerfile.stages) {
			expect(stage.image).toMatch(NODE_TAG);
			expect(stage.image).not.toMatch(/latest/);
			expect(Number(NODE_TAG.exec(stage.image)?.[1])).toBe(24);
		}
		expect(new Set(dockerfile.stages.map(stage => stage.image)).size).toBe(1);
		expect(dockerfile.globalArgs.NODE_IMAGE).toBe(finalStage.image);
	});

	it("pins the same Node major as .nvmrc, package.json engines and the node devDependency", () => {
		const dockerMajor = Number(NODE_TAG.exec(finalStage.image)?.[1]);
		const engines = record(packageJson.engines, "engines");
		const devDependencies = record(packageJson.devDependencies, "devDependencies");
		expect(major(read(".nvmrc"), ".nvmrc")).toBe(dockerMajor);
		// The package may support older Nodes too; the app's Node must be one it admits.
		expect(major(String(engines.node), "engines.node")).toBeLessThanOrEqual(dockerMajor);
		expect(major(String(devDependencies.node), "the node devDependency")).toBe(dockerMajor);
		// An upper bound in engines admits nothing past that major.
		const upper = /<\s*v?(\d+)(?:\.0)*\s*$/.exec(String(engines.node));
		if (upper) expect(Number(upper[1])).toBe(dockerMajor + 1);
	});

	it("builds with all dependencies and `npm run build` from everything tsconfig.build.json compiles", () => {
		expect(buildStages.length).toBeGreaterThanOrEqual(1);
		const build = buildStages.find(stage => runs(stage).some(run => /\bnpm run build\b/.test(run)));
		expect(build).toBeDefined();
		const buildRuns = runs(build as Stage);
		const ci = buildRuns.flatMap(npmCiCommands);
		expect(ci.length).toBeGreaterThan(0);
		expect(ci.every(command => !/--omit[= ]dev|--production/.test(command))).toBe(true);
		// npm ci comes before the build.
		expect(buildRuns.findIndex(run => npmCiCommands(run).length > 0)).toBeLessThan(buildRuns.findIndex(run => /\bnpm run build\b/.test(run)));

		const copied = copies(build as Stage)
			.filter(copy => copy.from === null)
			.flatMap(copy => copy.sources.map(source => posix.normalize(source).replace(/\/$/, "")));
		const wholeTree = copied.includes(".");
		const tsconfigBuild = record(JSON.parse(read("tsconfig.build.json")), "tsconfig.build.json");
		const include: unknown = tsconfigBuild.include;
		if (!Array.isArray(include)) throw new Error("tsconfig.build.json has no include list");
		const includeRoots = include.map(pattern => String(pattern).split("/")[0]);
		for (const needed of [...includeRoots, "tsconfig.json", "tsconfig.build.json", "package.json", "package-lock.json"]) {
			expect({ needed, copied: wholeTree || copied.includes(needed) }).toEqual({ needed, copied: true });
		}
	});

	it("runs the final stage as a non-root user", () => {
		const user = last(finalStage, "USER");
		expect(user).toBeDefined();
		const name = (user as Instruction).args.trim().split(":")[0];
		expect(name).not.toBe("");
		expect(["root", "0"]).not.toContain(name);
	});

	it("installs production dependencies only in the final stage, with NODE_ENV=production", () => {
		const ci = runs(finalStage).flatMap(npmCiCommands);
		expect(ci.length).toBeGreaterThan(0);
		for (const command of ci) expect(command).toMatch(/--omit[= ]dev\b/);
		expect(imageEnv.NODE_ENV).toBe("production");
		// The package's peers, installed by npm ci from the lock: what the built gateway runs on.
		expect(Object.keys(record(packageJson.peerDependencies, "peerDependencies"))).toEqual(expect.arrayContaining(["moleculer", "moleculer-web"]));
		// What only the example app runs is added without saving, at exactly the devDependencies' versions.
		const devDependencies = record(packageJson.devDependencies, "devDependencies");
		const added = runs(finalStage)
			.flatMap(run => run.split("&&"))
			.filter(command => /\bnpm\s+(install|i|add)\b/.test(command));
		expect(added.length).toBe(1);
		expect(added[0]).toMatch(/--no-save\b/);
		expect(added[0]).toMatch(/--omit[= ]dev\b/);
		const specs = (added[0] as string).split(/\s+/).filter(word => /^[a-z@][^=\s]*@\d/.test(word));
		expect(specs.map(spec => spec.replace(/@[^@]+$/, "")).sort()).toEqual(["ioredis", "jsonwebtoken", "nats", "pino"]);
		for (const spec of specs) expect(spec).toBe(`${spec.replace(/@[^@]+$/, "")}@${String(devDependencies[spec.replace(/@[^@]+$/, "")])}`);
	});

	it("copies dist/ from the build stage into the final stage, and no source tree", () => {
		const workdir = withWorkdir(finalStage).pop()?.workdir ?? "/";
		const stageNames = buildStages.flatMap((stage, index) => [String(index), ...(stage.name === null ? [] : [stage.name])]);
		const fromBuild = copies(finalStage).filter(copy => copy.from !== null);
		expect(fromBuild.length).toBeGreaterThan(0);
		for (const copy of fromBuild) expect(stageNames).toContain(copy.from);
		const buildWorkdir = withWorkdir(buildStages[buildStages.length - 1]).pop()?.workdir ?? "/";
		const distCopy = fromBuild.find(copy => copy.sources.some(source => posix.resolve(buildWorkdir, source) === posix.join(buildWorkdir, "dist")));
		expect(distCopy).toBeDefined();
		expect((distCopy as Copy).destination).toBe(posix.join(workdir, "dist"));

		const forbidden = /^(\.|\.\/|\*|services|lib|mixins|types|test|bench|scripts|src)(\/.*)?$|\.ts$/;
		for (const copy of copies(finalStage).filter(item => item.from === null)) {
			for (const source of copy.sources) expect(source).not.toMatch(forbidden);
		}
	});

	it("builds dist/moleculer.config.js and dist/services/*.service.js, where the image looks for them", () => {
		expect(buildOutputOf("moleculer.config.ts")).toContain("dist/moleculer.config.js");
		expect(buildOutputOf("services/api.service.ts")).toContain(`${imageEnv.SERVICEDIR}/api.service.js`);
		expect(buildOutputOf("services/protected.service.ts")).toContain(`${imageEnv.SERVICEDIR}/protected.service.js`);
	});

	it("starts bin/serve.js, the launcher npm run serve runs: moleculer-runner (a production dependency) with dist/moleculer.config.js", () => {
		const cmd = last(finalStage, "CMD");
		expect(cmd).toBeDefined();
		const argv = words((cmd as Instruction).args);
		expect((cmd as Instruction).args.trim().startsWith("[")).toBe(true);
		// The image runs exactly what npm run serve runs, Node flags included.
		expect(argv.join(" ")).toBe(record(packageJson.scripts, "scripts").serve);
		expect(argv[argv.length - 1]).toBe("bin/serve.js");
		const launcher = read("bin/serve.js");
		expect(launcher).toContain('require("moleculer")');
		expect(launcher).toContain('join(root, "dist", "moleculer.config.js")');
		const workdir = withWorkdir(finalStage).pop()?.workdir ?? "/";
		const copied = copies(finalStage).filter(copy => copy.from === null && copy.sources.includes("bin/serve.js"));
		expect(copied.map(copy => posix.resolve(workdir, copy.destination))).toEqual([posix.join(workdir, "bin/serve.js")]);
		expect(last(finalStage, "ENTRYPOINT")).toBeUndefined();
		expect(imageEnv.SERVICEDIR).toBe("dist/services");
		expect(imageEnv.PORT).toBe(String(DEFAULTS.PORT));
		expect(last(finalStage, "EXPOSE")?.args.split(/\s+/)).toEqual(expect.arrayContaining([imageEnv.PORT, String(DEFAULTS.METRICS_PORT)]));
	});

	describe("HEALTHCHECK", () => {
		const healthcheck = finalStage ? last(finalStage, "HEALTHCHECK") : undefined;
		const argv = healthcheck ? words(healthcheck.args.replace(/^(?:--\S+\s+)*CMD\s+/i, "")) : [];
		const scriptInImage = argv.find(arg => arg.endsWith(".js")) ?? "";
		const workdir = finalStage ? (withWorkdir(finalStage).pop()?.workdir ?? "/") : "/";
		const scriptPath = posix.resolve(workdir, scriptInImage);

		/** The repository file a final-stage COPY puts at the script's path in the image. */
		function scriptSource(): string | null {
			for (const copy of copies(finalStage).filter(item => item.from === null)) {
				for (const source of copy.sources) {
					const target = copy.destinationIsDirectory ? posix.join(copy.destination, posix.basename(source)) : copy.destination;
					if (target === scriptPath) return source;
					// A directory copied whole.
					if (existsSync(join(root, source)) && statSync(join(root, source)).isDirectory() && scriptPath.startsWith(copy.destination + "/")) {
						return posix.join(source, posix.relative(copy.destination, scriptPath));
					}
				}
			}
			return null;
		}

		it("runs a Node script with the image's node, not curl or wget", () => {
			expect(healthcheck).toBeDefined();
			expect(argv[0]).toBe("node");
			expect(scriptInImage).not.toBe("");
			expect(argv.join(" ")).not.toMatch(/\b(curl|wget)\b/);
		});

		it("ships a script that exists in the repository, is copied into the image and is not .dockerignored", () => {
			const source = scriptSource();
			expect(source).not.toBeNull();
			expect(existsSync(join(root, source as string))).toBe(true);
			const ignore = read(".dockerignore")
				.split(/\r?\n/)
				.map(line => line.trim())
				.filter(line => line !== "" && !line.startsWith("#"));
			expect(dockerignored(ignore, source as string)).toBe(false);
		});

		it("asks /health/live, a route the gateway declares (GET /live under path /health)", () => {
			const script = read(scriptSource() ?? scriptInImage);
			expect(script).toContain("/health/live");
			const api = read("services/api.service.ts");
			const start = api.search(/path:\s*"\/health"/);
			expect(start).toBeGreaterThanOrEqual(0);
			const next = api.slice(start + 1).search(/path:\s*/);
			const route = next < 0 ? api.slice(start) : api.slice(start, start + 1 + next);
			expect(route).toContain('"GET /live"');
		});

		describe("the script's role-aware behaviour", () => {
			let node: FakeNode;
			let script: string;

			beforeAll(async () => {
				node = await fakeNode();
				script = scriptSource() ?? scriptInImage;
			});
			afterAll(() => new Promise(resolve => node.server.close(resolve)));
			beforeEach(() => {
				node.paths.length = 0;
				node.status = 200;
			});

			it("on a node running all services (SERVICES unset): 0 when /health/live answers 200", async () => {
				expect(await runHealthcheck(script, { PORT: String(node.port) })).toBe(0);
				expect(node.paths).toEqual(["/health/live"]);
			});

			it("on an api node: 1 when /health/live answers otherwise", async () => {
				node.status = 503;
				expect(await runHealthcheck(script, { SERVICES: "api", PORT: String(node.port) })).toBe(1);
				expect(node.paths).toEqual(["/health/live"]);
			});

			it("on an api node: 1 when nothing listens", async () => {
				expect(await runHealthcheck(script, { SERVICES: "dist/services/api.service.js", PORT: String(await closedPort()) })).toBe(1);
			});

			it("on a node without HTTP (SERVICES=protected): asks /metrics on METRICS_PORT", async () => {
				expect(await runHealthcheck(script, { SERVICES: "protected", PORT: String(await closedPort()), METRICS_PORT: String(node.port) })).toBe(0);
				expect(node.paths).toEqual(["/metrics"]);
				expect(await runHealthcheck(script, { SERVICES: "protected", PORT: String(node.port), METRICS_PORT: String(await closedPort()) })).toBe(1);
			});

			it("on a node without HTTP and METRICS=false: 0 without any request (PID 1 alive)", async () => {
				expect(await runHealthcheck(script, { SERVICES: "protected", METRICS: "false", PORT: String(node.port), METRICS_PORT: String(node.port) })).toBe(0);
				expect(node.paths).toEqual([]);
			});
		});
	});

	it(".dockerignore keeps dependencies, build output, secrets and git out of the context, but nothing the Dockerfile copies", () => {
		const ignore = read(".dockerignore")
			.split(/\r?\n/)
			.map(line => line.trim())
			.filter(line => line !== "" && !line.startsWith("#"));
		for (const excluded of ["node_modules", "dist", ".git", ".env", "coverage", "test", "app.log"]) {
			expect({ excluded, ignored: dockerignored(ignore, excluded) }).toEqual({ excluded, ignored: true });
		}
		for (const stage of dockerfile.stages) {
			for (const source of copies(stage).flatMap(copy => (copy.from === null ? copy.sources : []))) {
				expect({ source, ignored: dockerignored(ignore, source) }).toEqual({ source, ignored: false });
				expect(existsSync(join(root, source))).toBe(true);
			}
		}
	});
});
