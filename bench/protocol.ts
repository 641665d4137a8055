/**
 * Messages between the bench parent and its child processes (gateways and load generators),
 * over the Node IPC channel. Shared so both ends agree on every field.
 */

/**
 * Gateways that bench/gateway.ts builds in a child process with a bare broker: the plain
 * moleculer-web baselines, the recipe, and our api service in a bare broker (the flood's
 * gateway, which it asks for memory after a full GC). "ours" as it ships is not one of them:
 * it is the built project started like `npm run serve` (bench/shipped.ts). `bare-declared` is
 * `bare` with a requirement of every kind on protected.get (what a declaration costs).
 */
export type ChildKind = "none" | "none-metrics" | "recipe" | "bare" | "bare-declared";

/** The children that run our api service (on a bare broker), not a baseline. */
export function runsOurService(kind: ChildKind): boolean {
	return kind === "bare" || kind === "bare-declared";
}

/**
 * Claims of every token of a `--costs` run, and the declaration of `bare-declared`'s
 * protected.get that they satisfy: one part of each kind an action may require.
 */
export const DECLARED_CLAIMS = { scope: "read:things", permissions: ["read:things"], roles: ["reader"], tenant: "acme" } as const;
export function declarationFor(issuer: string): Record<string, unknown> {
	return { scopes: ["read:things"], anyScope: ["read:things", "admin"], permissions: ["read:things"], roles: ["reader"], claims: { tenant: "acme" }, issuers: [issuer] };
}

/** A gateway of a run: its id names its rows, its label is what the report prints. */
export interface GatewaySpec {
	readonly id: string;
	readonly label: string;
	/** Built in bench/gateway.ts; absent: the shipped process, with `env` added. */
	readonly child?: ChildKind;
	readonly env?: Readonly<Record<string, string>>;
	/** The shipped process of another checkout (installed and built there) instead of this one. */
	readonly root?: string;
	/** `--instructions`: the process runs under valgrind's callgrind, its files in this directory. */
	readonly callgrind?: string;
}

/** Parent -> gateway. */
export interface UsageRequest {
	readonly type: "usage";
	/** Measure after a full garbage collection. */
	readonly settle?: boolean;
}

/** Gateway -> parent. */
export type GatewayMessage =
	| { readonly type: "ready"; readonly port: number }
	| { readonly type: "usage"; readonly rss: number; readonly heapUsed: number; readonly cpuMicros: number };

/** Where a load generator gets the Bearer token of each request. */
export type TokenSource =
	/** The same token every request (static request buffer, cheapest for the generator). */
	| { readonly kind: "fixed"; readonly token: string }
	/** One line of the file per request; `cursor` names a position kept across jobs. */
	| { readonly kind: "file"; readonly file: string; readonly cursor: string }
	/** `prefix` (a real header and payload) + a random signature of `sigBytes` bytes. */
	| { readonly kind: "bad-signature"; readonly prefix: string; readonly sigBytes: number }
	/** A header with a random kid, then `payload` and a random signature. */
	| { readonly kind: "unknown-kid"; readonly alg: string; readonly payload: string; readonly sigBytes: number };

interface JobBase {
	readonly id: number;
	readonly url: string;
	readonly connections: number;
	readonly tokens: TokenSource;
}

/** As fast as the server answers (autocannon, closed loop). `amount` wins over `duration`. */
export interface SaturateJob extends JobBase {
	readonly type: "saturate";
	readonly duration: number;
	readonly amount?: number;
	/** Seconds a request may take before it counts as an error (default 10). */
	readonly timeoutSeconds?: number;
}

/** Open loop at a fixed rate; latency counted from when each request was due. */
export interface PacedJob extends JobBase {
	readonly type: "paced";
	readonly rate: number;
	/** Seconds; a "stop" message ends it sooner. */
	readonly duration: number;
}

export type LoadJob = SaturateJob | PacedJob;

export type LoadCommand = LoadJob | { readonly type: "stop" };

export interface LoadResult {
	/** Responses received. */
	readonly requests: number;
	/** Seconds. */
	readonly duration: number;
	readonly rps: number;
	/** Milliseconds, responses of every status. */
	readonly p50: number;
	readonly p99: number;
	readonly max: number;
	readonly non2xx: number;
	/** Connection errors and timeouts. */
	readonly errors: number;
	readonly statusCodes: Readonly<Record<string, number>>;
	/** Share of one core the generator used during the job (1 = one core saturated). */
	readonly cpu: number;
	/**
	 * Paced jobs only: every recorded latency in ms, sorted, so that the slices of a round give
	 * the percentiles of all their requests together (a median of the slices' p99s is not a p99).
	 */
	readonly latencies?: readonly number[];
}

export type LoadMessage = { readonly type: "result"; readonly id: number; readonly result: LoadResult } | { readonly type: "failed"; readonly id: number; readonly error: string };
