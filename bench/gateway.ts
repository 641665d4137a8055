/**
 * One baseline gateway in its own process (child of bench/run.ts):
 * `tsx bench/gateway.ts none|none-metrics|recipe|bare` with BENCH_ISSUER and BENCH_JWKS_URI set.
 * The baselines run on a broker with Moleculer's default options, as a user's plain gateway
 * would (none-metrics adds Moleculer's Prometheus metrics); `bare` is our api service on a
 * broker without logger, metrics or tracing, used by the flood for GC-settled memory. Prints `READY <port>` and sends the same over IPC
 * once it answers; answers `{ type: "usage" }` with its RSS, heap and CPU time; exits when the
 * parent goes away.
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ServiceBroker, type BrokerOptions, type Service, type ServiceSchema } from "moleculer";
import type { ApiSettingsSchema } from "moleculer-web";
import type { parseAppConfig } from "../services/app-config";
import type { createApiService } from "../services/api.service";
import ProtectedService from "../services/protected.service";
import { recipeGateway } from "./baseline-recipe";
import { LOOPBACK, plainGateway } from "./gateway-schema";
import { declarationFor, runsOurService, type ChildKind, type GatewayMessage } from "./protocol";

function send(message: GatewayMessage): void {
	process.send?.(message);
}

/** Our api service from the build's JavaScript (`npm run bench` builds first), as it ships. */
function builtGateway(): { createApiService: typeof createApiService; parseAppConfig: typeof parseAppConfig } {
	const dist = join(__dirname, "..", "dist");
	if (!existsSync(join(dist, "services", "api.service.js"))) throw new Error("dist/ is missing: run `npm run build` first (npm run bench does)");
	/* eslint-disable @typescript-eslint/no-require-imports -- a runtime path, typed by the sources above */
	const api = require(join(dist, "services", "api.service.js")) as { createApiService: typeof createApiService };
	const config = require(join(dist, "services", "app-config.js")) as { parseAppConfig: typeof parseAppConfig };
	/* eslint-enable @typescript-eslint/no-require-imports */
	return { createApiService: api.createApiService, parseAppConfig: config.parseAppConfig };
}

function schemaFor(kind: ChildKind, issuer: string, jwksUri: string): ServiceSchema {
	if (kind === "none" || kind === "none-metrics") return plainGateway();
	if (kind === "recipe") return recipeGateway(issuer, jwksUri);
	const built = builtGateway();
	const schema = built.createApiService(built.parseAppConfig({ PORT: "0", JWT_ISSUER: issuer, JWT_VERIFY_THREADS: process.env.JWT_VERIFY_THREADS }));
	// Loopback only, like the others; nothing else of the real gateway changes.
	const settings: ApiSettingsSchema = { ...(schema.settings as ApiSettingsSchema), ip: LOOPBACK };
	return { ...schema, settings } as ServiceSchema;
}

/** The protected service with a requirement of every kind on its action (compiled once, checked per request). */
function declaredProtected(issuer: string): ServiceSchema {
	const actions = ProtectedService.actions as Record<string, { handler: unknown }>;
	return { ...ProtectedService, actions: { get: { auth: declarationFor(issuer), handler: actions.get?.handler } } } as ServiceSchema;
}

/** Moleculer's defaults for the baselines (its console logger prints only start and stop here). */
function brokerOptions(kind: ChildKind): BrokerOptions {
	if (runsOurService(kind)) return { logger: false, metrics: false, tracing: false };
	if (kind === "none-metrics") return { metrics: { enabled: true, reporter: { type: "Prometheus", options: { port: 0 } } } };
	return {};
}

async function waitReady(url: string): Promise<void> {
	const deadline = Date.now() + 15_000;
	while (Date.now() < deadline) {
		try {
			if ((await fetch(`${url}/health/ready`)).status === 200) return;
		} catch {
			// not listening yet
		}
		await new Promise(resolve => setTimeout(resolve, 50));
	}
	throw new Error(`${url}/health/ready did not answer 200 within 15 s`);
}

async function main(): Promise<void> {
	const kind = process.argv[2] as ChildKind;
	const issuer = process.env.BENCH_ISSUER ?? "";
	const jwksUri = process.env.BENCH_JWKS_URI ?? "";
	if (!["none", "none-metrics", "recipe", "bare", "bare-declared"].includes(kind) || issuer === "") throw new Error("usage: gateway.ts none|none-metrics|recipe|bare|bare-declared, with BENCH_ISSUER set");

	const broker = new ServiceBroker(brokerOptions(kind));
	const api = broker.createService(schemaFor(kind, issuer, jwksUri)) as Service & { server: { address(): AddressInfo } };
	broker.createService(kind === "bare-declared" ? declaredProtected(issuer) : ProtectedService);
	await broker.start();
	const port = api.server.address().port;
	if (runsOurService(kind)) await waitReady(`http://${LOOPBACK}:${port}`);

	process.on("message", (message: { type?: string; settle?: boolean }) => {
		if (message.type !== "usage") return;
		// Garbage the floods left but V8 has not collected yet is not growth (the gateway runs with --expose-gc).
		if (message.settle) (globalThis as { gc?: () => void }).gc?.();
		const usage = process.cpuUsage();
		send({ type: "usage", rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed, cpuMicros: usage.user + usage.system });
	});
	const stop = (): void => {
		void broker.stop().finally(() => process.exit(0));
		setTimeout(() => process.exit(0), 3000).unref();
	};
	process.on("disconnect", stop);
	process.on("SIGTERM", stop);
	process.stdout.write(`READY ${port}\n`);
	send({ type: "ready", port });
}

main().catch((err: unknown) => {
	process.stderr.write(`gateway failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
	process.exit(1);
});
