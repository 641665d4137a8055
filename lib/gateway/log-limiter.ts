/**
 * At most `perSecond` log lines a second (a token bucket): a flood of bad tokens must not
 * flood the logs. What is not logged is counted, and reported with the next line that is.
 */
export class LogLimiter {
	private tokens: number;
	private last: number;
	private suppressed = 0;

	constructor(
		private readonly perSecond: number,
		private readonly now: () => number = Date.now
	) {
		this.tokens = perSecond;
		this.last = now();
	}

	/** Whether to log now; when true, `suppressedSinceLast` says how many were skipped before. */
	allow(): { log: boolean; suppressedSinceLast: number } {
		const now = this.now();
		this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
		this.last = now;
		if (this.tokens < 1) {
			this.suppressed += 1;
			return { log: false, suppressedSinceLast: 0 };
		}
		this.tokens -= 1;
		const suppressedSinceLast = this.suppressed;
		this.suppressed = 0;
		return { log: true, suppressedSinceLast };
	}
}
