/**
 * Which gateways a run measures, in which scenarios, and the lines that compare them.
 *
 * The row called "ours" is always the shipped process with its defaults. Every other variant
 * of ours says in its label what differs, and only `--costs` runs them: each turns one default
 * off, so its CPU time per request against ours is what that default costs.
 */
import { serveCommand } from "../test/support/serve-command";
import type { BenchArgs } from "./args";
import type { Scenario } from "./measure";
import type { GatewaySpec } from "./protocol";
import { fixed, int, type Summary } from "./report";

const serve = serveCommand();
export const SHIPPED_COMMAND = `npm run serve's command (${["node", ...serve.nodeFlags, serve.script].join(" ")}: moleculer-runner, dist/moleculer.config.js), NODE_ENV=production, JWT_ISSUER set, other variables at their defaults`;

const PLAIN: GatewaySpec = { id: "none", label: "plain moleculer-web, no auth", child: "none" };
const PLAIN_METRICS: GatewaySpec = { id: "none-metrics", label: "plain moleculer-web, no auth, Moleculer's Prometheus metrics", child: "none-metrics" };
const RECIPE: GatewaySpec = { id: "recipe", label: "jwks-rsa + jsonwebtoken recipe", child: "recipe" };
const OURS: GatewaySpec = { id: "ours", label: "ours, as shipped" };

export const MAIN_GATEWAYS: readonly GatewaySpec[] = [PLAIN, PLAIN_METRICS, RECIPE, OURS];

/**
 * One default off each; their difference to "ours" is that default's cost. Request IDs have no
 * switch: moleculer-web gives every request one and echoes it, and the gateway's screening of a
 * client's own ID runs only when a request carries one.
 */
const TOGGLES: readonly (GatewaySpec & { readonly env: Readonly<Record<string, string>>; readonly cost: string })[] = [
	{ id: "ours-no-metrics", label: "ours, METRICS=false (variant)", env: { METRICS: "false" }, cost: "Prometheus metrics (auth series, HTTP requests by route and status)" },
	{ id: "ours-no-drain", label: "ours, MOL_TRACKING__ENABLED=false (variant)", env: { MOL_TRACKING__ENABLED: "false" }, cost: "graceful drain on SIGTERM" },
	{ id: "ours-no-retry", label: "ours, MOL_RETRY_POLICY__ENABLED=false (variant)", env: { MOL_RETRY_POLICY__ENABLED: "false" }, cost: "retry on a lost node" }
];

/** Every default above off: what is left over a plain gateway is the verification alone. */
const AUTH_ONLY: GatewaySpec = {
	id: "ours-auth-only",
	label: "ours, every default above off (variant)",
	env: Object.assign({}, ...TOGGLES.map(toggle => toggle.env)) as Record<string, string>
};

/** What a requirement of every kind on the action costs: the same api service on a bare broker, with and without one. */
const BARE: GatewaySpec = { id: "bare", label: "ours' api service on a bare broker (variant)", child: "bare" };
const BARE_DECLARED: GatewaySpec = { id: "bare-declared", label: "the same, protected.get requiring scopes, anyScope, permissions, roles, claims and issuers (variant)", child: "bare-declared" };

export const COST_GATEWAYS: readonly GatewaySpec[] = [PLAIN, OURS, ...TOGGLES, AUTH_ONLY, BARE, BARE_DECLARED];

export function scenariosOf(args: BenchArgs, specs: readonly GatewaySpec[], fixedToken: string, rsaFile: string, edFile: string): Scenario[] {
	const count = args.tokens.toLocaleString("en-US");
	const ids = specs.map(spec => spec.id);
	const a = { id: "A", title: "one RS256 token", tokens: () => ({ kind: "fixed", token: fixedToken }) as const };
	const b = { id: "B", title: `${count} RS256 tokens`, tokens: (id: string) => ({ kind: "file", file: rsaFile, cursor: `B:${id}` }) as const };
	const ed = { id: "B-EdDSA", title: `${count} Ed25519 tokens`, tokens: (id: string) => ({ kind: "file", file: edFile, cursor: `E:${id}` }) as const };
	if (args.costs) {
		// A full check costs what B (every token new) adds to A (one token, a cache hit), with nothing else on.
		return [
			{ ...a, gateways: ids },
			{ ...b, gateways: [PLAIN.id, AUTH_ONLY.id, BARE.id, BARE_DECLARED.id] },
			{ ...ed, gateways: [PLAIN.id, AUTH_ONLY.id] }
		];
	}
	return [
		{ ...a, gateways: ids },
		{ ...b, gateways: ids },
		// jsonwebtoken cannot verify EdDSA: no recipe here.
		{ ...ed, gateways: [PLAIN.id, PLAIN_METRICS.id, OURS.id] }
	];
}

export function capacityLine(capacity: { perSecond: number; threads: number }, summaries: readonly Summary[]): string {
	const ours = summaries.find(s => s.scenario === "B-EdDSA" && s.gateway === OURS.id);
	const share = ours === undefined ? "n/a" : fixed(ours.rps / capacity.perSecond);
	return `Signature threads alone (${capacity.threads} thread(s), no HTTP): ${int(capacity.perSecond)} Ed25519 checks/s; ours in B-EdDSA reaches ${share} of it`;
}

/** CPU microseconds per request of the plain gateway, and what each default of ours adds to it. */
export function costTable(summaries: readonly Summary[]): string {
	const micros = (scenario: string, id: string): number => summaries.find(s => s.scenario === scenario && s.gateway === id)?.cpuMicrosPerRequest ?? Number.NaN;
	const us = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : "n/a");
	const ours = micros("A", OURS.id);
	const authOnly = micros("A", AUTH_ONLY.id);
	const rows: [string, number, string][] = [
		["plain moleculer-web gateway, no auth", micros("A", PLAIN.id), "plain, scenario A"],
		...TOGGLES.map((toggle): [string, number, string] => [toggle.cost, ours - micros("A", toggle.id), `ours - ${toggle.label}, A`]),
		["auth, token cache hit", authOnly - micros("A", PLAIN.id), "every default off - plain, A"],
		["auth, full RS256 check (instead of a hit)", micros("B", AUTH_ONLY.id) - authOnly, "every default off: B - A"],
		["auth, full EdDSA check (instead of a hit)", micros("B-EdDSA", AUTH_ONLY.id) - authOnly, "every default off: B-EdDSA - A"],
		["a requirement of every kind on the action, A", micros("A", BARE_DECLARED.id) - micros("A", BARE.id), "bare broker: declared - not, A"],
		["a requirement of every kind on the action, B", micros("B", BARE_DECLARED.id) - micros("B", BARE.id), "bare broker: declared - not, B"],
		["ours as shipped, scenario A", ours, "ours, A"]
	];
	return ["| what | CPU µs per request | measured as |", "|---|---:|---|", ...rows.map(([what, value, how]) => `| ${what} | ${us(value)} | ${how} |`)].join("\n");
}
