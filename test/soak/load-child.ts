/**
 * Mixed traffic from a process of its own: valid, expired, forged, unknown-kid and garbage
 * tokens. Each answer is judged against what the contract allows for its kind, given whether
 * the parent had declared an outage when the request was sent or answered.
 */
import { createPrivateKey, randomUUID } from "node:crypto";
import { mintToken, signJwt, type SigningAlgorithm, type SigningKey } from "../../lib/dev-issuer/signer";

export interface KeyMessage {
	readonly kid: string;
	readonly alg: SigningAlgorithm;
	readonly pem: string;
}

export type LoadCommand =
	| { type: "start"; url: string; issuer: string; valid: KeyMessage; attacker: KeyMessage; concurrency: number }
	| { type: "use-key"; valid: KeyMessage }
	| { type: "outage"; on: boolean }
	| { type: "stop" };

export interface LoadReport {
	type: "report";
	requests: number;
	wrongAnswers: number;
	byKind: Record<string, Record<string, number>>;
	wrong: Array<{ kind: string; answer: string }>;
	unexpectedStatuses: number;
}

const KINDS = ["valid", "valid", "valid", "expired", "forged", "unknown-kid", "garbage"] as const;
type Kind = (typeof KINDS)[number];
/** Answers a kind may get; during an outage some may also be 503. */
const ALLOWED: Record<Kind, { always: string[]; inOutage: string[] }> = {
	valid: { always: ["200"], inOutage: ["503 jwks_unavailable"] },
	expired: { always: ["401 expired"], inOutage: [] },
	forged: { always: ["401 bad_signature"], inOutage: [] },
	"unknown-kid": { always: ["401 unknown_key"], inOutage: ["503 jwks_unavailable"] },
	garbage: { always: ["401 malformed"], inOutage: [] }
};

function toKey(message: KeyMessage): SigningKey {
	return { kid: message.kid, alg: message.alg, privateKey: createPrivateKey(message.pem), jwk: {} };
}

let outageSince: number | null = null;
let lastOutageEnd = 0;
const OUTAGE_GRACE_MS = 1500;

function inOutage(sentAt: number): boolean {
	return outageSince !== null || Date.now() - lastOutageEnd < OUTAGE_GRACE_MS || sentAt - lastOutageEnd < OUTAGE_GRACE_MS;
}

async function run(start: Extract<LoadCommand, { type: "start" }>, stopped: () => boolean, keys: { valid: SigningKey | null }): Promise<LoadReport> {
	const attacker = toKey(start.attacker);
	const report: LoadReport = { type: "report", requests: 0, byKind: {}, wrongAnswers: 0, wrong: [], unexpectedStatuses: 0 };
	const token = (kind: Kind): string => {
		const issuer = start.issuer;
		const valid = keys.valid as SigningKey;
		switch (kind) {
			case "valid":
				return mintToken(valid, { issuer, sub: "soak" });
			case "expired":
				return mintToken(valid, { issuer, expiresIn: -120 });
			case "forged":
				return signJwt({ ...attacker, kid: valid.kid }, { iss: issuer, exp: 9999999999 });
			case "unknown-kid":
				return signJwt({ ...attacker, kid: randomUUID() }, { iss: issuer, exp: 9999999999 });
			default:
				return `${randomUUID()}.not-a-jwt`;
		}
	};
	await Promise.all(
		Array.from({ length: start.concurrency }, async (_unused, worker) => {
			for (let i = worker; !stopped(); i += start.concurrency) {
				const kind = KINDS[i % KINDS.length] as Kind;
				const sentAt = Date.now();
				let answer: string;
				try {
					const res = await fetch(`${start.url}/api/protected`, { headers: { authorization: `Bearer ${token(kind)}` } });
					const body = (await res.json()) as { data?: { reason?: string } };
					answer = res.status === 200 ? "200" : `${res.status} ${body.data?.reason ?? ""}`.trim();
				} catch (err) {
					answer = `error ${(err as Error).message}`;
				}
				report.requests += 1;
				const counts = (report.byKind[kind] ??= {});
				counts[answer] = (counts[answer] ?? 0) + 1;
				const allowed = ALLOWED[kind];
				const ok = allowed.always.includes(answer) || (inOutage(sentAt) && allowed.inOutage.includes(answer));
				if (!ok) report.wrongAnswers += 1;
				if (!ok && report.wrong.length < 50) report.wrong.push({ kind, answer });
				if (!ok) report.unexpectedStatuses += answer.startsWith("200") || answer.startsWith("401") || answer.startsWith("503") ? 0 : 1;
			}
		})
	);
	return report;
}

let stop = false;
const keys: { valid: SigningKey | null } = { valid: null };

process.on("message", (command: LoadCommand) => {
	if (command.type === "start") {
		keys.valid = toKey(command.valid);
		void run(command, () => stop, keys).then(report => process.send?.(report));
	} else if (command.type === "use-key") {
		keys.valid = toKey(command.valid);
	} else if (command.type === "outage") {
		if (command.on) outageSince = Date.now();
		else {
			outageSince = null;
			lastOutageEnd = Date.now();
		}
	} else {
		stop = true;
	}
});
