/**
 * The gateway under soak, in a process of its own so its RSS and event loop are its own.
 * Configured from the environment like the real thing; answers stats over IPC.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { ServiceBroker } from "moleculer";
import { parseAuthConfig } from "../../lib/auth/config";
import { createApiService } from "../../services/api.service";
import ProtectedService from "../../services/protected.service";

export type GatewayMessage = { type: "stats"; rss: number; loopDelayP99Ms: number; loopDelayMaxMs: number } | { type: "ready"; port: number };

async function main(): Promise<void> {
	const broker = new ServiceBroker({ logger: false, metrics: false });
	const api = broker.createService(createApiService(parseAuthConfig({ ...process.env, PORT: "0" })));
	broker.createService(ProtectedService);
	await broker.start();
	const port = (api as unknown as { server: { address(): { port: number } } }).server.address().port;
	const loop = monitorEventLoopDelay({ resolution: 10 });
	loop.enable();
	const send = (message: GatewayMessage) => process.send?.(message);
	process.on("message", (message: { type: string }) => {
		if (message.type === "stats") {
			send({ type: "stats", rss: process.memoryUsage().rss, loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6 });
		} else if (message.type === "reset-loop") {
			loop.reset();
		} else if (message.type === "stop") {
			void broker.stop().then(() => process.exit(0));
		}
	});
	send({ type: "ready", port });
}

void main();
