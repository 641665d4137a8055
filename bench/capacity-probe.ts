/**
 * The parent's side of bench/thread-capacity.ts: the signature threads alone, in a process of
 * their own, measured when asked. B-EdDSA asks after each slice of its rounds, on the machine
 * the gateways have just left idle, so each round of ours is set against the capacity the
 * machine had during that round; the report's figure is the median of those pairs.
 */
import type { ChildProcess } from "node:child_process";
import { spawnTs, withTimeout } from "./children";

export interface ProbeRate {
	readonly perSecond: number;
	readonly threads: number;
	readonly spinners: number;
	readonly invalid: number;
}

type ProbeMessage = ({ readonly type: "rate" } & ProbeRate) | { readonly type: "ready" };

export class CapacityProbe {
	private readonly child: ChildProcess;
	private readonly ready: Promise<void>;

	constructor(tokenFile: string, jwk: object) {
		this.child = spawnTs("thread-capacity.ts", [tokenFile, JSON.stringify(jwk)], {}, "thread capacity");
		this.ready = this.next("ready").then(() => undefined);
	}

	/** Checks per second over `seconds`, after `warmup` seconds; `busy`: with the other cores kept busy by spinning threads. */
	async measure(seconds: number, busy = false, warmup = 1): Promise<ProbeRate> {
		await withTimeout(this.ready, 30_000, "starting the signature threads' probe");
		const answer = this.next("rate");
		this.child.send({ type: "measure", seconds, busy, warmup });
		const rate = (await withTimeout(answer, (warmup + seconds + 30) * 1000, "measuring the signature threads")) as ProbeRate;
		if (rate.invalid > 0) throw new Error(`the signature threads' probe found ${rate.invalid} invalid signatures among valid tokens`);
		return rate;
	}

	stop(): void {
		if (this.child.exitCode === null) this.child.send({ type: "stop" });
	}

	private next(type: ProbeMessage["type"]): Promise<ProbeMessage> {
		return new Promise((resolve, reject) => {
			const onExit = (code: number | null): void => reject(new Error(`thread capacity exited (${code}) without an answer`));
			const listener = (message: ProbeMessage): void => {
				if (message.type !== type) return;
				this.child.off("message", listener);
				this.child.off("exit", onExit);
				resolve(message);
			};
			this.child.on("message", listener);
			this.child.once("exit", onExit);
		});
	}
}
