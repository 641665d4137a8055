/**
 * The broker's metrics settings from the environment, checked once at start like the
 * verifier's (lib/auth/policy/variables.ts holds every variable's default and meaning).
 */
import { isIP } from "node:net";
import { ConfigError, DEFAULTS, type Env } from "../auth/policy/config";
import { parseMetricsPort } from "../auth/policy/env";

export interface MetricsOptions {
	readonly port: number;
	readonly host: string;
	/** Moleculer's per-call request series (its Metrics middleware). */
	readonly actionMetrics: boolean;
}

function flag(env: Env, name: string): boolean {
	const value = env[name]?.trim().toLowerCase();
	if (value === undefined || value === "" || value === "false") return false;
	if (value === "true") return true;
	throw new ConfigError(name, `must be true or false, got ${JSON.stringify(env[name])}`);
}

/**
 * With WEB_CONCURRENCY=N, bin/serve.js starts N workers and tells each its slot in
 * GATEWAY_WORKER: worker i serves its own metrics on METRICS_PORT + i (0 stays "any free port").
 */
function workerSlot(env: Env): number {
	const raw = env.GATEWAY_WORKER;
	if (raw === undefined || raw === "") return 0;
	const slot = Number(raw);
	if (!Number.isInteger(slot) || slot < 0 || slot > 63) throw new ConfigError("GATEWAY_WORKER", `is set by bin/serve.js to a worker slot from 0 to 63, got ${JSON.stringify(raw)}`);
	return slot;
}

export function parseMetricsOptions(env: Env): MetricsOptions {
	const base = parseMetricsPort(env);
	const slot = workerSlot(env);
	if (base !== 0 && base + slot > 65535) throw new ConfigError("METRICS_PORT", `${base} + worker ${slot} is past 65535; choose a lower METRICS_PORT`);
	const host = env.METRICS_HOST?.trim() || DEFAULTS.METRICS_HOST;
	if (isIP(host) === 0 && host !== "localhost") throw new ConfigError("METRICS_HOST", `must be an IP address of this host or localhost, got ${JSON.stringify(env.METRICS_HOST)}`);
	return { port: base === 0 ? 0 : base + slot, host, actionMetrics: flag(env, "METRICS_ACTIONS") };
}
