/** Command line of `npm run bench`. */

export interface BenchArgs {
	readonly smoke: boolean;
	readonly rounds: number;
	/** Seconds per measurement. */
	readonly duration: number;
	/** Seconds of each slice a saturating measurement is cut into, interleaved with the other gateways'. */
	readonly slice: number;
	/** Seconds of warm-up per gateway and scenario. */
	readonly warmup: number;
	/** Distinct valid tokens per algorithm for scenario B. */
	readonly tokens: number;
	readonly connections: number;
	/** Requests per second of the fixed-rate latency measurement; null: derived from scenario A. */
	readonly rate: number | null;
	readonly flood: boolean;
	/** Measure what each default of ours costs (bench/gateways.ts) instead of the comparison. */
	readonly costs: boolean;
	readonly floodCount: number;
	/** Count instructions per request under callgrind instead of measuring speed (bench/instructions.ts). */
	readonly instructions: boolean;
	/** Requests counted per gateway and scenario by `--instructions`. */
	readonly requests: number;
	/** Scenarios to run, in the usual order; every one by default. */
	readonly scenarios: readonly ScenarioId[];
}

export const SCENARIO_IDS = ["A", "B", "B-EdDSA"] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export const USAGE = `npm run bench -- [options]
  --rounds N          interleaved rounds per scenario (default 5; smoke 1)
  --duration S        seconds per measurement (default 5; smoke 1)
  --slice S           a saturating measurement is taken as slices of S seconds, each gateway's
                      slices interleaved with the others' within the round (default 1; at most
                      --duration; equal to --duration: one piece, as before)
  --warmup S          seconds of warm-up per gateway and scenario (default 5; smoke 1)
  --tokens N          distinct valid tokens per algorithm for scenario B (default 50000; smoke 2000)
  --connections N     concurrent connections (default 64)
  --rate N            req/s of the fixed-rate latency measurement (default: half the saturated
                      req/s of scenario A of the slower of no-auth and ours, at most 5000)
  --smoke             1 round of 1 s: checks that every gateway runs and answers; asserts no ratio
  --costs             instead: CPU µs per request of the plain gateway and of each default of ours,
                      each turned off in its own variant of the shipped process, in one run
  --flood             instead: flood our gateway with invalid tokens and unknown kids, report RSS growth
  --flood-count N     tokens per flood (default 1000000)
  --instructions      instead: instructions per request of each gateway under valgrind's callgrind
                      (with --costs: of each default); scenarios A and B (with --costs, all)
  --requests N        requests counted per gateway and scenario by --instructions (default 4000;
                      smoke 200), after 20000 uninstrumented (smoke: as many as counted) and
                      500 instrumented ones
  --scenarios LIST    only these scenarios, comma-separated: A, B, B-EdDSA (default all); the
                      fixed-rate latency needs A, the signature threads' capacity B-EdDSA`;

function positive(name: string, value: string | undefined, integer: boolean): number {
	const number = Number(value);
	if (value === undefined || !Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
		throw new Error(`${name} needs a positive ${integer ? "whole " : ""}number, got ${value ?? "nothing"}\n\n${USAGE}`);
	}
	return number;
}

function scenarioList(value: string | undefined): ScenarioId[] {
	const wanted = (value ?? "").split(",").map(id => id.trim());
	const unknown = wanted.filter(id => !(SCENARIO_IDS as readonly string[]).includes(id));
	if (value === undefined || unknown.length > 0) throw new Error(`--scenarios takes a comma-separated list of ${SCENARIO_IDS.join(", ")}, got ${value ?? "nothing"}\n\n${USAGE}`);
	return SCENARIO_IDS.filter(id => wanted.includes(id));
}

export function parseArgs(argv: readonly string[]): BenchArgs {
	const given = new Map<string, string | undefined>();
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i] as string;
		if (arg === "--help" || arg === "-h") {
			process.stdout.write(`${USAGE}\n`);
			process.exit(0);
		}
		if (arg === "--smoke" || arg === "--flood" || arg === "--costs" || arg === "--instructions") {
			given.set(arg, "true");
			continue;
		}
		const [name, inline] = arg.split("=", 2) as [string, string | undefined];
		if (!["--rounds", "--duration", "--slice", "--warmup", "--tokens", "--connections", "--rate", "--flood-count", "--scenarios", "--requests"].includes(name)) {
			throw new Error(`unknown option ${arg}\n\n${USAGE}`);
		}
		given.set(name, inline ?? argv[++i]);
	}
	const smoke = given.has("--smoke");
	const option = (name: string, fallback: number, integer = true): number => (given.has(name) ? positive(name, given.get(name), integer) : fallback);
	const duration = option("--duration", smoke ? 1 : 5, false);
	const slice = option("--slice", 1, false);
	if (slice > duration) throw new Error(`--slice (${slice} s) cannot be longer than --duration (${duration} s)\n\n${USAGE}`);
	return {
		smoke,
		rounds: option("--rounds", smoke ? 1 : 5),
		duration,
		slice,
		warmup: option("--warmup", smoke ? 1 : 5, false),
		tokens: option("--tokens", smoke ? 2000 : 50_000),
		connections: option("--connections", 64),
		rate: given.has("--rate") ? positive("--rate", given.get("--rate"), true) : null,
		flood: given.has("--flood"),
		costs: given.has("--costs"),
		floodCount: option("--flood-count", 1_000_000),
		instructions: given.has("--instructions"),
		requests: option("--requests", smoke ? 200 : 4000),
		// Under callgrind every request is slow: A and B say what a hit and a full check execute
		// (the cost table also needs B-EdDSA).
		scenarios: given.has("--scenarios") ? scenarioList(given.get("--scenarios")) : given.has("--instructions") && !given.has("--costs") ? ["A", "B"] : SCENARIO_IDS
	};
}
