/** The NATS server the cluster suites use (gated by nats-gate.ts: a jest skip, or a failure under CI). */
export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

export { describeWithNats } from "./nats-gate";

export function uniqueNamespace(prefix: string): string {
	return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}
