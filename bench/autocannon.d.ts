/** The part of autocannon 8's programmatic API the bench uses (it ships no types). */
declare module "autocannon" {
	import type { EventEmitter } from "node:events";

	namespace autocannon {
		interface RequestParams {
			method?: string;
			path?: string;
			headers?: Record<string, string>;
			[key: string]: unknown;
		}

		interface Request extends RequestParams {
			setupRequest?: (request: RequestParams, context: Record<string, unknown>) => RequestParams | null;
		}

		/** One connection. `getRequestBuffer` is internal (8.0.0): the bytes of the next request. */
		interface Client extends EventEmitter {
			getRequestBuffer(): Buffer | string;
		}

		interface Options {
			url: string;
			connections?: number;
			pipelining?: number;
			duration?: number;
			amount?: number;
			timeout?: number;
			overallRate?: number;
			headers?: Record<string, string>;
			requests?: Request[];
			setupClient?: (client: Client) => void;
		}

		interface Histogram {
			average: number;
			p50: number;
			p99: number;
			total: number;
		}

		interface Result {
			duration: number;
			errors: number;
			timeouts: number;
			non2xx: number;
			statusCodeStats: Record<string, { count: number }>;
			requests: Histogram & { sent: number };
			latency: Histogram;
		}

		interface Instance extends EventEmitter, PromiseLike<Result> {
			stop(): void;
		}
	}

	function autocannon(options: autocannon.Options): autocannon.Instance;
	export = autocannon;
}
