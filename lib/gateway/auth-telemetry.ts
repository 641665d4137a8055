/**
 * What the gateway tells operators: Prometheus metrics through Moleculer's registry (low
 * cardinality: reason and issuer labels only), rate-limited rejection log lines, and tracing
 * spans for key fetches. Every label and line comes from the reason table's reasons.
 */
import { Errors, type Logger, type ServiceBroker, type Span } from "moleculer";
import type { KeyStoreEvents } from "../auth/keys/key-store";
import { boundCounter, boundHistogram, type BoundCounter, type BoundHistogram } from "./bound-metrics";
import { LogLimiter } from "./log-limiter";
import type { Rejection } from "../auth/policy/reasons";
import type { SignatureThreadEvents } from "../auth/signatures/signature-threads";
import type { TokenCacheEvents } from "../auth/cache/token-cache";

export const METRIC_NAMES = {
	verifications: "jwt_verifications_total",
	verificationSeconds: "jwt_verification_duration_seconds",
	cacheLookups: "jwt_token_cache_lookups_total",
	fetches: "jwks_fetches_total",
	keySetAge: "jwks_key_set_age_seconds",
	staleKeyUses: "jwks_stale_key_uses_total",
	unknownKidRefetches: "jwks_unknown_kid_refetches_total",
	suppressedLogLines: "jwt_rejection_log_lines_suppressed_total",
	signatureChecks: "jwt_signature_checks_total"
} as const;

/** Per level: a flood of rejections must not starve the error lines, nor the other way round. */
const REQUEST_LOG_LINES_PER_SECOND = 10;
type RequestLogLevel = "error" | "warn" | "info";
const MAX_LOGGED_CLAIM = 128;

/** Unverified strings from a token, made safe to log: short, printable. */
function loggable(value: string | undefined): string | undefined {
	return value === undefined ? undefined : value.slice(0, MAX_LOGGED_CLAIM).replace(/[^\x20-\x7E]/g, "?");
}

export class AuthTelemetry {
	private readonly limiters: Record<RequestLogLevel, LogLimiter> = {
		error: new LogLimiter(REQUEST_LOG_LINES_PER_SECOND),
		warn: new LogLimiter(REQUEST_LOG_LINES_PER_SECOND),
		info: new LogLimiter(REQUEST_LOG_LINES_PER_SECOND)
	};
	/** Whether verifications are timed: only when a metrics registry records it. */
	readonly timed: boolean;
	private readonly fetchSpans = new Map<string, Span>();
	/** The series a request can touch, bound once: the registry's own calls cost more than a cache hit. */
	private readonly accepted: BoundCounter;
	private readonly acceptedSeconds: BoundHistogram;
	private readonly rejectedSeconds: BoundHistogram;
	private readonly rejectedBy = new Map<string, BoundCounter>();
	private readonly cacheHit: BoundCounter;
	private readonly cacheMiss: BoundCounter;
	private readonly suppressed: Record<RequestLogLevel, BoundCounter>;
	/** Where signatures were checked: a growing `event_loop` share says the threads are behind. */
	private readonly checksOn: Record<"threads" | "event_loop" | "thread_pool", BoundCounter>;

	constructor(
		private readonly broker: ServiceBroker,
		private readonly logger: Logger
	) {
		const metrics = broker.metrics;
		this.timed = broker.isMetricsEnabled();
		const counter = (name: string, description: string, labelNames: string[]) => metrics.register({ type: "counter", name, description, labelNames });
		counter(METRIC_NAMES.verifications, "Token verifications by result and reason", ["result", "reason"]);
		metrics.register({
			type: "histogram",
			name: METRIC_NAMES.verificationSeconds,
			description: "Time to verify a token (cache hit or full verification)",
			labelNames: ["result"],
			unit: "seconds",
			buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5]
		});
		counter(METRIC_NAMES.cacheLookups, "Verified-token cache lookups", ["result"]);
		counter(METRIC_NAMES.fetches, "Key set fetches by issuer, cause and result", ["issuer", "cause", "result"]);
		metrics.register({ type: "gauge", name: METRIC_NAMES.keySetAge, description: "Age of the current key set", labelNames: ["issuer"], unit: "seconds" });
		counter(METRIC_NAMES.staleKeyUses, "Verifications with a key past JWKS_CACHE_MAX_AGE (issuer unreachable)", ["issuer"]);
		counter(METRIC_NAMES.unknownKidRefetches, "Key set fetches caused by an unknown kid", ["issuer"]);
		counter(METRIC_NAMES.suppressedLogLines, "Request-caused log lines not written (rate limit, per level); the requests are still counted", ["level"]);
		counter(METRIC_NAMES.signatureChecks, "Signature checks by where they ran: the signature threads, the event loop (threads behind), node:crypto's thread pool", ["on"]);
		this.accepted = boundCounter(metrics, METRIC_NAMES.verifications, { result: "accepted", reason: "none" });
		this.acceptedSeconds = boundHistogram(metrics, METRIC_NAMES.verificationSeconds, { result: "accepted" });
		this.rejectedSeconds = boundHistogram(metrics, METRIC_NAMES.verificationSeconds, { result: "rejected" });
		this.cacheHit = boundCounter(metrics, METRIC_NAMES.cacheLookups, { result: "hit" });
		this.cacheMiss = boundCounter(metrics, METRIC_NAMES.cacheLookups, { result: "miss" });
		this.suppressed = {
			error: boundCounter(metrics, METRIC_NAMES.suppressedLogLines, { level: "error" }),
			warn: boundCounter(metrics, METRIC_NAMES.suppressedLogLines, { level: "warn" }),
			info: boundCounter(metrics, METRIC_NAMES.suppressedLogLines, { level: "info" })
		};
		this.checksOn = {
			threads: boundCounter(metrics, METRIC_NAMES.signatureChecks, { on: "threads" }),
			event_loop: boundCounter(metrics, METRIC_NAMES.signatureChecks, { on: "event_loop" }),
			thread_pool: boundCounter(metrics, METRIC_NAMES.signatureChecks, { on: "thread_pool" })
		};
	}

	/** Events of the key stores and the token cache, wired to metrics, logs and spans. */
	events(): KeyStoreEvents & TokenCacheEvents & SignatureThreadEvents {
		const metrics = this.broker.metrics;
		return {
			fetchStarted: (issuer, cause) => {
				if (this.broker.isTracingEnabled()) this.fetchSpans.set(issuer, this.broker.tracer.startSpan("jwks.fetch", { tags: { issuer, cause } }));
				if (cause === "unknown_kid") metrics.increment(METRIC_NAMES.unknownKidRefetches, { issuer });
			},
			fetched: (issuer, cause, ok, error) => {
				metrics.increment(METRIC_NAMES.fetches, { issuer, cause, result: ok ? "ok" : "error" });
				const span = this.fetchSpans.get(issuer);
				this.fetchSpans.delete(issuer);
				if (span) {
					if (!ok) span.setError(new Error(error));
					span.finish();
				}
				if (ok) metrics.set(METRIC_NAMES.keySetAge, 0, { issuer });
				if (ok) this.logger.info(`Fetched the key set of ${issuer} (${cause})`);
				else this.logger.warn(`Could not fetch the key set of ${issuer} (${cause}): ${error}`);
			},
			staleKeyUsed: issuer => metrics.increment(METRIC_NAMES.staleKeyUses, { issuer }),
			warning: (issuer, message) => this.logger.warn(`Key set of ${issuer}: ${message}`),
			threadFailed: detail => this.logger.warn(`A signature thread stopped (${detail}); checks run on node:crypto's thread pool until it is replaced`),
			checkedOnThread: checks => this.checksOn.threads(checks),
			checkedOnLoop: () => this.checksOn.event_loop(),
			checkedOnThreadPool: () => this.checksOn.thread_pool(),
			hit: () => this.cacheHit(),
			miss: () => this.cacheMiss()
		};
	}

	verified(seconds: number): void {
		if (!this.timed) return;
		this.accepted();
		this.acceptedSeconds(seconds);
	}

	/**
	 * A log line caused by a request, at most REQUEST_LOG_LINES_PER_SECOND a second per level.
	 * A line that is written says how many of its level were suppressed before it.
	 */
	requestLine(level: RequestLogLevel, fields: Record<string, unknown>, message: string): void {
		const { log, suppressedSinceLast } = this.limiters[level].allow();
		if (!log) {
			this.suppressed[level]();
			return;
		}
		this.logger[level](suppressedSinceLast > 0 ? { ...fields, suppressedBefore: suppressedSinceLast } : fields, message);
	}

	/** One info line per rejected request (rate-limited), never the token. */
	rejected(rejection: Rejection, requestID: string | null | undefined, seconds?: number): void {
		this.rejectedCounter(rejection.reason)();
		if (seconds !== undefined) this.rejectedSeconds(seconds);
		const fields = {
			event: "request_rejected",
			reason: rejection.reason,
			issuer: loggable(rejection.claimedIssuer),
			kid: loggable(rejection.claimedKid),
			requestID: requestID ?? undefined
		};
		this.requestLine("info", fields, "Rejected request");
	}

	/**
	 * A request answered with an error that is not the client's (5xx): one error line,
	 * rate-limited. The stack only for what is not a MoleculerError (a bug, not an outage).
	 */
	requestFailed(err: unknown, requestID: string | null | undefined): void {
		const known = err instanceof Errors.MoleculerError;
		const code = known ? err.code : 500;
		if (code >= 400 && code < 500) return;
		const fields = {
			event: "request_failed",
			error: err instanceof Error ? err.name : typeof err,
			message: err instanceof Error ? err.message : String(err),
			...(known ? { code, type: err.type } : { stack: err instanceof Error ? err.stack : undefined }),
			requestID: requestID ?? undefined
		};
		this.requestLine("error", fields, "Request failed");
	}

	private rejectedCounter(reason: string): BoundCounter {
		let counter = this.rejectedBy.get(reason);
		if (counter === undefined) {
			counter = boundCounter(this.broker.metrics, METRIC_NAMES.verifications, { result: "rejected", reason });
			this.rejectedBy.set(reason, counter);
		}
		return counter;
	}

	/** Key set ages, refreshed before each scrape would be ideal; every few seconds is enough. */
	recordKeySetAges(ages: Iterable<[string, number | null]>): void {
		for (const [issuer, ageMs] of ages) {
			if (ageMs !== null) this.broker.metrics.set(METRIC_NAMES.keySetAge, ageMs / 1000, { issuer });
		}
	}
}
