#!/usr/bin/env node
/**
 * What `npm run serve` (and so `npm start`) and the Docker image run: moleculer-runner with
 * dist/moleculer.config.js, in this process. With WEB_CONCURRENCY=N (N > 1) this process forks
 * N workers that share the gateway's port through Node's cluster module; each worker is a full
 * node of its own (broker, key store, token cache, signature threads) and knows its slot from
 * GATEWAY_WORKER, which moleculer.config uses to give it its own metrics port.
 *
 * Not moleculer-runner's own `--instances`: its workers cannot tell which slot they fill (a
 * restarted worker gets a new cluster id), so their metrics ports would collide or drift.
 */
"use strict";

const cluster = require("node:cluster");
const { join } = require("node:path");
const { Runner } = require("moleculer");

const root = join(__dirname, "..");
const MAX_WORKERS = 64;
const RESTART_DELAY_MS = 1000;

function workerCount() {
	const raw = process.env.WEB_CONCURRENCY;
	if (raw === undefined || raw.trim() === "") return 1;
	const count = Number(raw);
	if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
		process.stderr.write(`Configuration error: WEB_CONCURRENCY: must be a whole number of gateway processes from 1 to ${MAX_WORKERS} (default 1), got ${JSON.stringify(raw)}\n`);
		process.exit(1);
	}
	return count;
}

function runNode() {
	process.env.SERVICEDIR = process.env.SERVICEDIR || join(root, "dist", "services");
	const args = ["--config", join(root, "dist", "moleculer.config.js"), ...process.argv.slice(2)];
	return new Runner().start([process.argv[0], process.argv[1], ...args]);
}

function runWorkers(count) {
	const slots = new Map();
	let stopping = false;
	const fork = slot => slots.set(cluster.fork({ GATEWAY_WORKER: String(slot) }).id, slot);
	for (let slot = 0; slot < count; slot++) fork(slot);

	cluster.on("exit", (worker, code, signal) => {
		const slot = slots.get(worker.id);
		slots.delete(worker.id);
		if (stopping) {
			if (slots.size === 0) process.exit(0);
			return;
		}
		// A worker that failed to start fails the same way again: one line, and the whole process stops.
		if (!worker.$started) {
			process.stderr.write(`Gateway worker ${slot} stopped before it was ready (${signal ?? code}); stopping.\n`);
			stopping = true;
			for (const id in cluster.workers) cluster.workers[id]?.process.kill("SIGTERM");
			process.exitCode = 1;
			if (slots.size === 0) process.exit(1);
			return;
		}
		process.stderr.write(`Gateway worker ${slot} exited (${signal ?? code}); starting it again.\n`);
		setTimeout(() => fork(slot), RESTART_DELAY_MS);
	});
	cluster.on("message", (worker, message) => {
		if (message && message.type === "gateway-started") worker.$started = true;
	});
	for (const signal of ["SIGTERM", "SIGINT"]) {
		process.on(signal, () => {
			stopping = true;
			for (const id in cluster.workers) cluster.workers[id]?.process.kill(signal);
			if (slots.size === 0) process.exit(0);
		});
	}
}

const count = workerCount();
if (count === 1 || cluster.isWorker) {
	runNode().then(broker => {
		if (cluster.isWorker && broker) process.send?.({ type: "gateway-started" });
	});
} else {
	runWorkers(count);
}
