/**
 * `npm run soak`: mixed traffic from a separate process against the gateway (its own process)
 * while the key server rotates keys and goes down and up. Loopback only; stops by itself.
 * Asserts 0 wrong answers, 0 unexpected statuses and RSS growth under 64 MiB from the end of a
 * 20 s warm-up to the end; prints the event-loop delay and RSS every 5 s.
 *   tsx test/soak/soak.ts [--duration 60] [--concurrency 16]
 */
import { fork, type ChildProcess } from "node:child_process";
import { KeyServer } from "../support/key-server";
import { serveCommand } from "../support/serve-command";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import type { GatewayMessage } from "./gateway-child";
import type { KeyMessage, LoadCommand, LoadReport } from "./load-child";

export interface SoakResult {
	readonly seconds: number;
	readonly report: LoadReport;
	readonly rssGrowthMiB: number;
	readonly loopDelayP99Ms: number;
	readonly loopDelayMaxMs: number;
	readonly outages: number;
	readonly rotations: number;
	readonly passed: boolean;
}

const MiB = 1024 * 1024;

/**
 * V8's young generation, bounded. Measured by this soak (reserved size per heap space): the JS
 * heap after a full GC stays at about 24 MiB, while V8 doubles its semi-spaces once the traffic's
 * short-lived garbage survives a few scavenges, new_space going from 32 to 64 MiB (and 95 to
 * 162 MiB of reserved heap on the host of issue 16) in one step some time after the warm-up, which
 * is most of the RSS growth. Capping the semi-space keeps that step out: the flag is in the
 * start command (`npm run serve`, the Docker image, with the memory reducer off: bench/HISTORY.md),
 * and the soak's gateway gets the same flags.
 */
export const GATEWAY_HEAP_FLAGS = serveCommand().nodeFlags;
const WARM_UP_MS = 20_000;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function flag(name: string, fallback: number): number {
	const index = process.argv.indexOf(`--${name}`);
	return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function child(file: string, env: Record<string, string> = {}, nodeArgs: string[] = []): ChildProcess {
	return fork(`${__dirname}/${file}`, [], { execArgv: [...nodeArgs, "--import", "tsx"], env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

function next<T>(proc: ChildProcess, type: string): Promise<T> {
	return new Promise(resolve => {
		const listener = (message: { type: string }) => {
			if (message.type !== type) return;
			proc.off("message", listener);
			resolve(message as T);
		};
		proc.on("message", listener);
	});
}

function keyMessage(key: SigningKey): KeyMessage {
	return { kid: key.kid, alg: key.alg, pem: key.privateKey.export({ format: "pem", type: "pkcs8" }).toString() };
}

async function stats(gateway: ChildProcess, settle = false): Promise<Extract<GatewayMessage, { type: "stats" }>> {
	const answer = next<Extract<GatewayMessage, { type: "stats" }>>(gateway, "stats");
	gateway.send({ type: "stats", settle });
	return answer;
}

export async function soak(
	seconds: number,
	concurrency = 16,
	log: (line: string) => void = line => process.stdout.write(`${line}\n`),
	heapFlags: readonly string[] = GATEWAY_HEAP_FLAGS
): Promise<SoakResult> {
	const issuer = await new KeyServer().start();
	let current = issuer.addKey("EdDSA", "soak-1");
	const attacker = new KeyServer();
	const attackerKey = attacker.addKey("EdDSA", "attacker");
	const gateway = child("gateway-child.ts", { JWT_ISSUER: issuer.issuer, JWKS_CACHE_MAX_AGE: "3000", JWKS_COOLDOWN: "1000", JWKS_TIMEOUT: "500" }, ["--expose-gc", ...heapFlags]);
	const { port } = await next<Extract<GatewayMessage, { type: "ready" }>>(gateway, "ready");
	const url = `http://127.0.0.1:${port}`;
	const load = child("load-child.ts");
	const command = (message: LoadCommand) => load.send(message);
	const done = next<LoadReport>(load, "report");
	command({ type: "start", url, issuer: issuer.issuer, valid: keyMessage(current), attacker: keyMessage(attackerKey), concurrency });

	let outages = 0;
	let rotations = 0;
	let generation = 1;
	/** An outage of a quarter of the cycle, then a key rotation while the issuer is up. */
	async function cycleOnce(cycle: number): Promise<void> {
		issuer.mode = "down";
		command({ type: "outage", on: true });
		outages += 1;
		await sleep(cycle / 4);
		issuer.mode = "up";
		command({ type: "outage", on: false });
		await sleep(cycle / 4);
		generation += 1;
		const next = issuer.addKey("EdDSA", `soak-${generation}`);
		// Hand out the new key only once the gateway has it (an unknown kid fetches it).
		for (;;) {
			const res = await fetch(`${url}/api/protected`, { headers: { authorization: `Bearer ${issuer.mint(next)}` } });
			if (res.status === 200) break;
			await sleep(100);
		}
		command({ type: "use-key", valid: keyMessage(next) });
		await sleep(1000);
		issuer.removeKey(current.kid);
		current = next;
		rotations += 1;
		await sleep(Math.max(0, cycle / 2 - 1000));
	}

	// Warm-up, 20 s: traffic with the issuer up, every path once (an outage and a rotation), and
	// the same traffic until V8 has sized its heap for it (measured here: its reserved heap grows
	// from about 100 to 170 MiB within the first 15 s, then stays). The RSS baseline is taken under
	// load after it, so the growth measured is what the traffic keeps, not the heap settling in.
	const warmUpStartedAt = Date.now();
	await sleep(3000);
	await cycleOnce(8000);
	const baselineHeap = (await stats(gateway, true)).heapUsed;
	await sleep(Math.max(0, WARM_UP_MS - (Date.now() - warmUpStartedAt)));
	const warmUpMs = Date.now() - warmUpStartedAt;
	const startedAt = Date.now();
	const baseline = await stats(gateway);
	gateway.send({ type: "reset-loop" });
	// RSS and V8's reserved heap every 5 s: growth that levels off is heap sizing, a leak keeps climbing.
	const series: string[] = [];
	const sampler = setInterval(() => {
		void stats(gateway).then(sample => series.push(`${(sample.rss / MiB).toFixed(0)}/${(sample.heapTotal / MiB).toFixed(0)}`));
	}, 5000);
	const cycle = Math.max(4000, (seconds * 1000) / 3);
	while (Date.now() - startedAt + cycle <= seconds * 1000) await cycleOnce(cycle);
	await sleep(Math.max(0, seconds * 1000 - (Date.now() - startedAt)));
	const end = await stats(gateway);
	command({ type: "stop" });
	clearInterval(sampler);
	const report = await done;
	const endHeap = (await stats(gateway, true)).heapUsed;
	gateway.send({ type: "stop" });
	load.kill();
	await issuer.stop();
	const rssGrowthMiB = (end.rss - baseline.rss) / MiB;
	const passed = report.wrongAnswers === 0 && report.unexpectedStatuses === 0 && rssGrowthMiB < 64;
	const result: SoakResult = { seconds, report, rssGrowthMiB, loopDelayP99Ms: end.loopDelayP99Ms, loopDelayMaxMs: end.loopDelayMaxMs, outages, rotations, passed };
	log(`gateway node flags: ${heapFlags.join(" ") || "(V8 defaults)"}`);
	log(`soak: ${seconds} s after a warm-up of ${(warmUpMs / 1000).toFixed(0)} s, ${report.requests} requests in all, ${outages} outages, ${rotations} key rotations`);
	log(`  wrong answers: ${report.wrongAnswers}, unexpected statuses: ${report.unexpectedStatuses}`);
	log(
		`  gateway RSS growth after warm-up: ${rssGrowthMiB.toFixed(1)} MiB (${(baseline.rss / MiB).toFixed(1)} -> ${(end.rss / MiB).toFixed(1)} MiB under load); ` +
			`JS heap after a full GC ${(baselineHeap / MiB).toFixed(1)} -> ${(endHeap / MiB).toFixed(1)} MiB; V8 reserved heap ${(baseline.heapTotal / MiB).toFixed(1)} -> ${(end.heapTotal / MiB).toFixed(1)} MiB`
	);
	log(`  RSS/reserved heap MiB every 5 s: ${series.join(" ")}`);
	const grownSpaces = Object.entries(end.spaces)
		.map(([name, size]) => [name, (size - (baseline.spaces[name] ?? 0)) / MiB, size / MiB] as const)
		.filter(([, growth]) => Math.abs(growth) >= 0.5)
		.map(([name, growth, size]) => `${name} ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} (to ${size.toFixed(1)})`);
	log(`  reserved heap by space, MiB after warm-up -> end: ${grownSpaces.join(", ") || "no space changed by 0.5 MiB"}`);
	log(`  event-loop delay p99 ${end.loopDelayP99Ms.toFixed(1)} ms, max ${end.loopDelayMaxMs.toFixed(1)} ms`);
	log(`  answers by kind: ${JSON.stringify(report.byKind)}`);
	if (report.wrong.length > 0) log(`  first wrong answers: ${JSON.stringify(report.wrong.slice(0, 10))}`);
	log(passed ? "  PASS" : "  FAIL");
	return result;
}

if (require.main === module) {
	// `--semi-space 0` measures V8's defaults; another number, that cap in MiB.
	const semiSpace = flag("semi-space", -1);
	const heapFlags = semiSpace < 0 ? GATEWAY_HEAP_FLAGS : semiSpace === 0 ? [] : [`--max-semi-space-size=${semiSpace}`];
	void soak(flag("duration", 60), flag("concurrency", 16), undefined, heapFlags).then(result => process.exit(result.passed ? 0 : 1));
}
