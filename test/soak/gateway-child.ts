/**
 * The gateway under soak, in a process of its own so its RSS and event loop are its own.
 * Configured from the environment like the real thing; answers stats over IPC.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import { ServiceBroker } from "moleculer";
import { parseAppConfig } from "../../services/app-config";
import { createApiService } from "../../services/api.service";
import ProtectedService from "../../services/protected.service";

export type GatewayMessage =
	| {
			type: "stats";
			rss: number;
			heapUsed: number;
			heapTotal: number;
			/** V8's reserved size of each heap space, bytes: where the reserved heap goes. */
			spaces: Record<string, number>;
			loopDelayP99Ms: number;
			loopDelayMaxMs: number;
	  }
	| { type: "ready"; port: number };

async function main(): Promise<void> {
	const broker = new ServiceBroker({ logger: false, metrics: false });
	const api = broker.createService(createApiService(parseAppConfig({ ...process.env, PORT: "0" })));
	broker.createService(ProtectedService);
	await broker.start();
	const port = (api as unknown as { server: { address(): { port: number } } }).server.address().port;
	const loop = monitorEventLoopDelay({ resolution: 10 });
	loop.enable();
	const send = (message: GatewayMessage) => process.send?.(message);
	process.on("message", (message: { type: string; settle?: boolean }) => {
		if (message.type === "stats") {
			// Garbage not yet collected is not growth: `settle` measures after a full GC (run with --expose-gc).
			if (message.settle) (globalThis as { gc?: () => void }).gc?.();
			const memory = process.memoryUsage();
			const spaces = Object.fromEntries(getHeapSpaceStatistics().map(space => [space.space_name, space.space_size]));
			send({ type: "stats", rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, spaces, loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6 });
		} else if (message.type === "reset-loop") {
			loop.reset();
		} else if (message.type === "stop") {
			void broker.stop().then(() => process.exit(0));
		}
	});
	send({ type: "ready", port });
}

void main();
