/**
 * A real broker with the real api and protected services, listening on a free port.
 */
import { createServer } from "node:net";
import { ServiceBroker, type BrokerOptions, type Service, type ServiceSchema } from "moleculer";
import { type Env } from "../../lib/auth/policy/config";
import { parseAppConfig } from "../../services/app-config";
import { METRIC_NAMES } from "../../lib/gateway/auth-telemetry";
import { createApiService } from "../../services/api.service";
import ProtectedService from "../../services/protected.service";

export interface Gateway {
	readonly broker: ServiceBroker;
	readonly api: Service;
	readonly url: string;
	stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			const port = typeof address === "object" && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export interface GatewayOptions {
	readonly services?: ServiceSchema[];
	readonly broker?: BrokerOptions;
	/** Wait until /health/ready answers 200 (default true). */
	readonly waitReady?: boolean;
	/** Settings of the api service over its own (e.g. a short `bodyReadTimeout`). */
	readonly apiSettings?: Record<string, unknown>;
}

export async function startGateway(env: Env, options: GatewayOptions = {}): Promise<Gateway> {
	const config = parseAppConfig({ PORT: "0", ...env });
	const broker = new ServiceBroker({ logger: false, metrics: false, ...options.broker });
	const schema = createApiService(config);
	const api = broker.createService(options.apiSettings ? { name: "api", mixins: [schema], settings: options.apiSettings } : schema);
	for (const schema of options.services ?? [ProtectedService]) broker.createService(schema);
	await broker.start();
	const address = (api as unknown as { server: { address(): { port: number } } }).server.address();
	const url = `http://127.0.0.1:${address.port}`;
	if (options.waitReady !== false) await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, 10_000);
	return { broker, api, url, stop: () => broker.stop() };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000, stepMs = 25): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			if (await check()) return;
		} catch {
			// not yet
		}
		if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, stepMs));
	}
}

export interface HttpAnswer {
	readonly status: number;
	readonly headers: Headers;
	readonly body: Record<string, unknown>;
	readonly text: string;
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
	const res = await fetch(url, { headers });
	const text = await res.text();
	let body: Record<string, unknown> = {};
	try {
		body = JSON.parse(text) as Record<string, unknown>;
	} catch {
		// not JSON
	}
	return { status: res.status, headers: res.headers, body, text };
}

export function bearer(token: string): Record<string, string> {
	return { Authorization: `Bearer ${token}` };
}

/** Verified-token cache hits the gateway has counted (its broker needs metrics enabled). */
export function cacheHits(gateway: Gateway): number {
	return (gateway.broker.metrics.getMetric(METRIC_NAMES.cacheLookups)?.get({ result: "hit" })?.value as number | undefined) ?? 0;
}
