/**
 * The load generator, in its own process (child of bench/run.ts): takes jobs over IPC and
 * answers each with a LoadResult. Saturating jobs use autocannon (closed loop, 64 connections,
 * pipelining 1); paced jobs are an open loop at a fixed rate over keep-alive connections,
 * because autocannon's `overallRate` sends each second's quota back to back at the start of
 * the second, so its latencies are those of a saturated burst.
 */
import autocannon from "autocannon";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import type { LoadCommand, LoadJob, LoadMessage, LoadResult, PacedJob, SaturateJob } from "./protocol";
import { percentile } from "./report";
import { fileCursor, tokenSource } from "./token-source";
import { runWrk, wrkCanRun } from "./wrk";

/** Latencies in ms, however many, and the status of every response. */
class Recorder {
	private values = new Float64Array(1 << 16);
	private count = 0;
	readonly statusCodes: Record<string, number> = {};
	non2xx = 0;
	errors = 0;

	record(ms: number, status: number): void {
		if (this.count === this.values.length) {
			const grown = new Float64Array(this.values.length * 2);
			grown.set(this.values);
			this.values = grown;
		}
		this.values[this.count++] = ms;
		this.statusCodes[status] = (this.statusCodes[status] ?? 0) + 1;
		if (status < 200 || status > 299) this.non2xx += 1;
	}

	result(seconds: number, cpuMicros: number, withLatencies = false): LoadResult {
		const sorted = this.values.slice(0, this.count).sort();
		return {
			requests: this.count,
			duration: seconds,
			rps: seconds > 0 ? this.count / seconds : 0,
			p50: percentile(sorted, 0.5),
			p99: percentile(sorted, 0.99),
			max: percentile(sorted, 1),
			non2xx: this.non2xx,
			errors: this.errors,
			statusCodes: this.statusCodes,
			cpu: seconds > 0 ? cpuMicros / 1e6 / seconds : 0,
			...(withLatencies ? { latencies: Array.from(sorted) } : {})
		};
	}
}

const stoppers = new Set<() => void>();

function cpuMicros(since: NodeJS.CpuUsage): number {
	const used = process.cpuUsage(since);
	return used.user + used.system;
}

/**
 * The bytes of each request. A fixed token is one prebuilt buffer (autocannon's own path);
 * otherwise each connection's `getRequestBuffer` writes the next token into a request line we
 * build ourselves: autocannon's `setupRequest` rebuilds the whole request through several
 * object copies, which made the generator, not the gateway, the bottleneck on a small machine.
 */
function requestBytes(job: SaturateJob): Pick<autocannon.Options, "requests" | "setupClient"> {
	if (job.tokens.kind === "fixed") return { requests: [{ method: "GET", headers: { authorization: `Bearer ${job.tokens.token}` } }] };
	const next = tokenSource(job.tokens);
	const url = new URL(job.url);
	const head = `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\nAuthorization: Bearer `;
	return {
		requests: [{ method: "GET" }],
		setupClient: client => {
			if (typeof client.getRequestBuffer !== "function") throw new Error("autocannon's Client has no getRequestBuffer (was autocannon upgraded?)");
			client.getRequestBuffer = () => `${head}${next()}\r\n\r\n`;
		}
	};
}

async function saturateWithWrk(job: SaturateJob): Promise<LoadResult> {
	const cursor = job.tokens.kind === "file" ? job.tokens.cursor : null;
	let stop: (() => void) | undefined;
	try {
		const result = await runWrk(job, cursor === null ? 0 : fileCursor.position(cursor), s => {
			stop = s;
			stoppers.add(s);
		});
		if (cursor !== null) fileCursor.advance(cursor, result.requests);
		return result;
	} finally {
		if (stop) stoppers.delete(stop);
	}
}

async function saturate(job: SaturateJob): Promise<LoadResult> {
	if (wrkCanRun(job)) return saturateWithWrk(job);
	const recorder = new Recorder();
	const instance = autocannon({
		url: job.url,
		connections: job.connections,
		pipelining: 1,
		duration: job.duration,
		...(job.amount === undefined ? {} : { amount: job.amount }),
		timeout: job.timeoutSeconds ?? 10,
		...requestBytes(job)
	});
	instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => recorder.record(ms, status));
	const stop = (): void => instance.stop();
	stoppers.add(stop);
	const cpu = process.cpuUsage();
	const started = performance.now();
	try {
		const result = await instance;
		recorder.errors = result.errors;
		return recorder.result((performance.now() - started) / 1000, cpuMicros(cpu));
	} finally {
		stoppers.delete(stop);
	}
}

/** Unrecorded lead-in of a paced job: connections open and code warms up. */
const PACED_LEAD_IN_MS = 500;

async function paced(job: PacedJob): Promise<LoadResult> {
	const recorder = new Recorder();
	const next = tokenSource(job.tokens);
	const url = new URL(job.url);
	// Without noDelay, Nagle's algorithm and delayed ACKs add 40 ms to some requests.
	const agent = new Agent({ keepAlive: true, maxSockets: job.connections, noDelay: true });
	const interval = 1000 / job.rate;
	const start = performance.now();
	const recordFrom = start + PACED_LEAD_IN_MS;
	let end = recordFrom + job.duration * 1000;
	let cpu = process.cpuUsage();
	let sent = 0;
	let finished = 0;

	// Latency runs from the moment a request is handed to the pool, so waiting for a free
	// connection counts, but the 1 ms granularity of the timer below does not.
	const fire = (): void => {
		const sentAt = performance.now();
		const recorded = sentAt >= recordFrom;
		let counted = false;
		const done = (status: number | null): void => {
			if (counted) return;
			counted = true;
			finished += 1;
			if (!recorded) return;
			if (status === null) recorder.errors += 1;
			else recorder.record(performance.now() - sentAt, status);
		};
		const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: `Bearer ${next()}` } }, res => {
			res.resume();
			res.on("end", () => done(res.statusCode ?? 0));
			res.on("error", () => done(null));
		});
		req.setTimeout(10_000, () => req.destroy());
		req.on("error", () => done(null));
		req.end();
	};

	const stop = (): void => {
		end = Math.max(recordFrom, Math.min(end, performance.now()));
	};
	stoppers.add(stop);
	await new Promise<void>(resolve => {
		let leadIn = true;
		const timer = setInterval(() => {
			const now = performance.now();
			if (leadIn && now >= recordFrom) {
				leadIn = false;
				cpu = process.cpuUsage();
			}
			const due = Math.floor((Math.min(now, end) - start) / interval);
			while (sent < due) {
				sent += 1;
				fire();
			}
			if (now >= end) {
				clearInterval(timer);
				resolve();
			}
		}, 1);
	});
	stoppers.delete(stop);
	const cpuUsed = cpuMicros(cpu);
	const seconds = (end - recordFrom) / 1000;
	const drainBy = performance.now() + 10_000;
	while (finished < sent && performance.now() < drainBy) await new Promise(resolve => setTimeout(resolve, 5));
	agent.destroy();
	return recorder.result(seconds, cpuUsed, true);
}

function send(message: LoadMessage): void {
	process.send?.(message);
}

function runJob(job: LoadJob): void {
	(job.type === "saturate" ? saturate(job) : paced(job)).then(
		result => send({ type: "result", id: job.id, result }),
		(err: unknown) => send({ type: "failed", id: job.id, error: err instanceof Error ? err.message : String(err) })
	);
}

process.on("message", (command: LoadCommand) => {
	if (command.type === "stop") for (const stop of stoppers) stop();
	else runJob(command);
});
process.on("disconnect", () => process.exit(0));
