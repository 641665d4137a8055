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
import { fixed, int, median, type Row, type Summary } from "./report";

const serve = serveCommand();
export const SHIPPED_COMMAND = `npm run serve's command (${["node", ...serve.nodeFlags, serve.script].join(" ")}: moleculer-runner, dist/moleculer.config.js), NODE_ENV=production, JWT_ISSUER set, other variables at their defaults`;

const PLAIN: GatewaySpec = { id: "none", label: "plain moleculer-web, no auth", child: "none" };
const PLAIN_METRICS: GatewaySpec = { id: "none-metrics", label: "plain moleculer-web, no auth, Moleculer's Prometheus metrics", child: "none-metrics" };
const RECIPE: GatewaySpec = { id: "recipe", label: "jwks-rsa + jsonwebtoken recipe", child: "recipe" };
const OURS: GatewaySpec = { id: "ours", label: "ours, as shipped" };

/**
 * BENCH_COMPARE_ROOT=<checkout>: one more row, the shipped process of another build (an earlier
 * commit, installed and built there), measured in the same interleaved rounds as ours: before
 * and after figures that this machine's drift between runs cannot fake.
 */
const compareRoot = process.env.BENCH_COMPARE_ROOT;
const COMPARED: readonly GatewaySpec[] =
	compareRoot === undefined || compareRoot === "" ? [] : [{ id: "ours-compared", label: `ours as shipped, the build in ${compareRoot} (comparison)`, root: compareRoot }];

export const MAIN_GATEWAYS: readonly GatewaySpec[] = [PLAIN, PLAIN_METRICS, RECIPE, OURS, ...COMPARED];

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
	return allScenarios(args, specs, fixedToken, rsaFile, edFile).filter(scenario => (args.scenarios as readonly string[]).includes(scenario.id));
}

function allScenarios(args: BenchArgs, specs: readonly GatewaySpec[], fixedToken: string, rsaFile: string, edFile: string): Scenario[] {
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
		{ ...ed, gateways: [PLAIN.id, PLAIN_METRICS.id, OURS.id, ...COMPARED.map(spec => spec.id)] }
	];
}

/** Ours against the compared build, scenario by scenario: nothing when no build is compared. */
export function comparisonLines(summaries: readonly Summary[]): string[] {
	const compared = COMPARED[0];
	if (compared === undefined) return [];
	const lines = ["", `| scenario | ours / ${compared.label} (req/s) | CPU µs/req ours - compared |`, "|---|---:|---:|"];
	for (const scenario of new Set(summaries.map(s => s.scenario))) {
		const ours = summaries.find(s => s.scenario === scenario && s.gateway === OURS.id);
		const other = summaries.find(s => s.scenario === scenario && s.gateway === compared.id);
		if (ours === undefined || other === undefined) continue;
		lines.push(`| ${scenario} | ${fixed(ours.rps / other.rps)} | ${fixed(ours.cpuMicrosPerRequest - other.cpuMicrosPerRequest, 1)} |`);
	}
	return lines;
}

/** What bench/thread-capacity.ts measured: between the slices of each B-EdDSA round, and at the end with the other cores busy. */
export interface ThreadCapacity {
	/** Checks per second of each round of B-EdDSA (the mean of its slices'), in round order. */
	readonly rounds: readonly number[];
	readonly busyPerSecond: number;
	readonly threads: number;
	readonly spinners: number;
}

/**
 * B-EdDSA is judged round by round against the capacity measured between that round's slices
 * (the median of those ratios); the capacity with the other cores busy shows the host's slowdown.
 */
export function capacityLine(capacity: ThreadCapacity, rows: readonly Row[]): string {
	const ours = rows.find(r => r.scenario === "B-EdDSA" && r.gateway === OURS.id);
	const rps = (ours?.rounds ?? []).map(round => round.load.rps);
	const paired = capacity.rounds.map((perSecond, i) => (rps[i] ?? Number.NaN) / perSecond).filter(Number.isFinite);
	const idle = median(capacity.rounds);
	const list = (values: readonly number[], format: (value: number) => string): string => values.map(value => format(value)).join(", ");
	return (
		`Signature threads alone (${capacity.threads} thread(s), no HTTP): ${int(idle)} Ed25519 checks/s on the idle machine ` +
		`(median; between the slices of each B-EdDSA round: ${list(capacity.rounds, int)}), ` +
		`${int(capacity.busyPerSecond)} with the other cores kept busy (${capacity.spinners} spinning thread(s)); ` +
		`ours in B-EdDSA reaches ${paired.length === 0 ? "n/a" : fixed(median(paired))} of the first, round by round (${list(paired, fixed)}), ` +
		`and ${ours === undefined ? "n/a" : fixed(median(rps) / capacity.busyPerSecond)} of the second`
	);
}

/** CPU microseconds per request of each round of one gateway in one scenario, in round order. */
function perRound(rows: readonly Row[], scenario: string, id: string): number[] {
	const row = rows.find(r => r.scenario === scenario && r.gateway === id);
	return (row?.rounds ?? []).map(round => (round.load.rps > 0 ? (round.gatewayCpu * 1e6) / round.load.rps : Number.NaN));
}

/**
 * CPU microseconds per request of the plain gateway, and what each default of ours adds to it:
 * the difference of two gateways' µs per request in the same round (they ran back to back),
 * as the median over the rounds and the range, which shows how far the noise of this machine
 * reaches.
 */
export function costTable(rows: readonly Row[]): string {
	return costs((scenario, id) => perRound(rows, scenario, id), "CPU µs per request: median of the rounds (range)", 1);
}

/** The same table in instructions per request (`--instructions --costs`): one count per gateway and scenario. */
export function instructionCostTable(counts: ReadonlyMap<string, number>): string {
	return costs((scenario, id) => [counts.get(`${scenario}/${id}`) ?? Number.NaN], "instructions per request", 0);
}

/** `values(scenario, id)`: one figure per round, in round order (one in all when there are no rounds). */
function costs(values: (scenario: string, id: string) => number[], unit: string, digits: number): string {
	// Counts with thousands separators; µs as plain decimals.
	const show = (value: number): string => (!Number.isFinite(value) ? "n/a" : digits > 0 ? value.toFixed(digits) : Math.round(value).toLocaleString("en-US"));
	const differences = (a: number[], b: number[]): number[] => a.map((value, i) => value - (b[i] ?? Number.NaN)).filter(Number.isFinite);
	const cell = (list: number[]): string => (list.length === 0 ? "n/a" : list.length === 1 ? show(list[0] as number) : `${show(median(list))} (${show(Math.min(...list))} to ${show(Math.max(...list))})`);
	const a = (id: string) => values("A", id);
	const diff = (scenarioA: string, idA: string, scenarioB: string, idB: string) => cell(differences(values(scenarioA, idA), values(scenarioB, idB)));
	const table: [string, string, string][] = [
		["plain moleculer-web gateway, no auth", cell(a(PLAIN.id)), "plain, scenario A"],
		...TOGGLES.map((toggle): [string, string, string] => [toggle.cost, diff("A", OURS.id, "A", toggle.id), `ours - ${toggle.label}, A`]),
		["auth with a token cache hit, and the rest of the shipped process (request timeouts, the claims in the answer, the runner's config)", diff("A", AUTH_ONLY.id, "A", PLAIN.id), "every default above off - plain, A"],
		["auth, full RS256 check (instead of a hit)", diff("B", AUTH_ONLY.id, "A", AUTH_ONLY.id), "every default off: B - A"],
		["auth, full EdDSA check (instead of a hit)", diff("B-EdDSA", AUTH_ONLY.id, "A", AUTH_ONLY.id), "every default off: B-EdDSA - A"],
		["a requirement of every kind on the action, A", diff("A", BARE_DECLARED.id, "A", BARE.id), "bare broker: declared - not, A"],
		["a requirement of every kind on the action, B", diff("B", BARE_DECLARED.id, "B", BARE.id), "bare broker: declared - not, B"],
		["ours as shipped, scenario A", cell(a(OURS.id)), "ours, A"]
	];
	return [`| what | ${unit} | measured as |`, "|---|---:|---|", ...table.map(([what, value, how]) => `| ${what} | ${value} | ${how} |`)].join("\n");
}
