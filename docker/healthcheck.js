"use strict";
/**
 * Container HEALTHCHECK (Dockerfile): plain CommonJS on Node's own modules, because slim
 * images have neither curl nor wget. Exit 0 = healthy, 1 = unhealthy (Docker's meaning).
 *
 * What is checked depends on the node's role, read from the same environment the
 * moleculer-runner uses:
 * - the node runs the `api` service (SERVICES unset, i.e. every service of SERVICEDIR, or
 *   SERVICES naming `api`): GET http://127.0.0.1:$PORT/health/live must answer 200. Liveness,
 *   not readiness: a node whose issuer is briefly unreachable must not be restarted for it
 *   (/health/ready is for load balancers).
 * - every other node (e.g. SERVICES=protected) has no HTTP server. The broker's Prometheus
 *   reporter is then the one thing that answers over HTTP while the broker lives, so
 *   GET http://127.0.0.1:$METRICS_PORT/metrics (default 3030) must answer 200.
 * - such a node with metrics turned off (METRICS=false) has nothing to ask: the check only
 *   confirms that PID 1 (the runner, started by the image's exec-form CMD) is alive, which
 *   is little more than "the container runs". This is a deliberate choice: opening a port
 *   only for health checks would add surface to a node that otherwise listens on nothing.
 */
const http = require("node:http");
const path = require("node:path");

const TIMEOUT_MS = 3000;
const DEFAULT_PORT = 3000;
const DEFAULT_METRICS_PORT = 3030;

/** The service names in SERVICES ("api", "api.service.js", "dist/services/api.service.js"), or null when unset. */
function serviceNames(env) {
	const raw = (env.SERVICES || "").trim();
	if (raw === "") return null;
	return raw
		.split(",")
		.map(entry => entry.trim())
		.filter(entry => entry !== "")
		.map(entry => path.basename(entry).replace(/\.[cm]?js$/, "").replace(/\.service$/, ""));
}

function runsApi(env) {
	const names = serviceNames(env);
	// A glob may match api.service.js: expect the gateway to answer.
	return names === null || names.some(name => name === "api" || name.includes("*"));
}

function metricsOff(env) {
	return ["METRICS", "METRICS_ENABLED", "MOL_METRICS", "MOL_METRICS__ENABLED"].some(
		name => (env[name] || "").trim().toLowerCase() === "false"
	);
}

function port(value, fallback) {
	const text = (value || "").trim();
	return /^\d+$/.test(text) ? Number(text) : fallback;
}

/** Resolves true on a 200 within TIMEOUT_MS, false otherwise; never rejects. */
function answers200(url) {
	return new Promise(resolve => {
		const req = http.get(url, { timeout: TIMEOUT_MS }, res => {
			res.resume();
			resolve(res.statusCode === 200);
		});
		req.on("timeout", () => req.destroy(new Error("timeout")));
		req.on("error", () => resolve(false));
	});
}

function pidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		// EPERM: it exists but belongs to another user (e.g. an init process run as root).
		return err.code === "EPERM";
	}
}

async function healthy(env) {
	if (runsApi(env)) return answers200(`http://127.0.0.1:${port(env.PORT, DEFAULT_PORT)}/health/live`);
	const metricsPort = port(env.METRICS_PORT, DEFAULT_METRICS_PORT);
	// METRICS_PORT=0 is a random port: it cannot be found from here either.
	if (metricsOff(env) || metricsPort === 0) return pidAlive(1);
	return answers200(`http://127.0.0.1:${metricsPort}/metrics`);
}

healthy(process.env).then(
	ok => process.exit(ok ? 0 : 1),
	() => process.exit(1)
);
