/**
 * Broker options. moleculer-runner overrides each of them from the environment: TRANSPORTER,
 * NAMESPACE, NODEID, LOGLEVEL, REQUESTTIMEOUT, METRICS=false, MOL_<PATH>__<TO>__<KEY>, ...
 * The verifier's own variables (JWT_*, JWKS_*) are read by the package's fromEnv (services/app-config.ts).
 */
import type { BrokerOptions } from "moleculer";
import { orExit } from "moleculer-jwks-auth";
import { brokerMiddlewares } from "./lib/gateway/broker-middlewares";
import { parseMetricsOptions } from "./lib/gateway/metrics-config";

const production = process.env.NODE_ENV === "production";
const metrics = orExit(parseMetricsOptions);

const brokerConfig: BrokerOptions = {
	namespace: "",
	nodeID: null,
	metadata: {},

	// One JSON object per line (Pino) for log shippers in production; readable lines otherwise.
	logger: production
		? { type: "Pino", options: { pino: { options: { base: null, timestamp: () => `,"time":"${new Date().toISOString()}"` } } } }
		: { type: "Console", options: { formatter: "short", colors: true, moduleColors: false, autoPadding: false } },
	logLevel: "info",

	// No transporter: one local node. TRANSPORTER=nats://host:4222 splits api and protected.
	transporter: null,
	serializer: "JSON",

	requestTimeout: 10_000,
	// Only retryable errors (a node vanishing mid-call) are retried, on another node; calls to
	// another node only (lib/gateway/broker-middlewares.ts).
	retryPolicy: { enabled: true, retries: 3, delay: 100, maxDelay: 1000, factor: 2, check: err => !!(err as { retryable?: boolean }).retryable },
	maxCallLevel: 100,
	heartbeatInterval: 5,
	heartbeatTimeout: 15,
	contextParamsCloning: false,
	// In-flight requests finish before a node leaves on SIGTERM: calls from other nodes are
	// tracked (broker-middlewares.ts), HTTP requests are drained by the gateway's server.
	tracking: { enabled: true, shutdownTimeout: 10_000 },
	disableBalancer: false,
	// A stopping node first tells the others to send it nothing more, then waits this long.
	registry: { strategy: "RoundRobin", preferLocal: true, stopDelay: 500 },
	circuitBreaker: { enabled: false },
	bulkhead: { enabled: false },
	validator: true,

	// Moleculer's Prometheus reporter, without its process and OS series (they carry the host's
	// identity); lib/gateway/process-metrics.ts reports memory, CPU and event-loop delay instead.
	metrics: {
		enabled: true,
		collectProcessMetrics: false,
		reporter: { type: "Prometheus", options: { port: metrics.port, host: metrics.host, path: "/metrics" } }
	},
	// TRACING_ENABLED=true turns spans on (jwt.verify per request, jwks.fetch per key fetch).
	tracing: { enabled: false, exporter: { type: "Console", options: { width: 100, colors: !production } } },

	internalServices: true,
	// Moleculer's internal middlewares are listed here, three of them scoped to where a gateway
	// needs them (lib/gateway/broker-middlewares.ts); a user's own go before them.
	internalMiddlewares: false,
	hotReload: false,
	middlewares: brokerMiddlewares({ actionMetrics: metrics.actionMetrics }) as BrokerOptions["middlewares"],
	replOptions: { delimiter: "mol $" }
};

export default brokerConfig;
