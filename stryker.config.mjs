// Mutation testing of the security core: `npm run mutate` (not in CI: a full run takes far
// longer than the suite on a 2-core machine). Reports land in reports/mutation/.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const projectJest = require("./jest.config.js");

/**
 * The example-based unit specs of lib/auth. Jest loads every related spec file for each mutant,
 * even when the mutant's covering tests are elsewhere: a security suite loads a whole gateway, and
 * a property spec runs thousands of verifications for each mutant it covers and does not kill,
 * which made a run over the security-critical modules take hours. The gateway's and the example
 * app's unit specs can kill no mutant in lib/auth.
 */
const testMatch = ["<rootDir>/test/unit/**/*.spec.ts"];
const notExamplesOfAuth = ["\\.property\\.spec\\.ts$", "/test/unit/gateway/", "/test/unit/app-config\\.spec\\.ts$"];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
	packageManager: "npm",
	testRunner: "jest",
	jest: {
		projectType: "custom",
		// The project's config, less its global setup: that builds dist/ once per Jest run, which
		// Stryker starts once per mutant. `npm run mutate` builds dist/ once beforehand instead.
		config: {
			...projectJest,
			globalSetup: null,
			// A mutant that leaves a test waiting fails it after 10 s rather than the suite's 30 s,
			// before Stryker's own timeout, which costs a restart of the Jest process.
			testTimeout: 10_000,
			testMatch,
			testPathIgnorePatterns: ["/node_modules/", ...notExamplesOfAuth],
			// For each mutant, Jest gets only the spec files that hold a test covering it.
			testEnvironment: "./test/mutation/record-test-files.js",
			testSequencer: "<rootDir>/test/mutation/covering-files-sequencer.js"
		},
		enableFindRelatedTests: true
	},
	coverageAnalysis: "perTest",
	// A mutant in code that runs while a module loads (tables, schemas, constants) is covered by
	// no test in particular, so Stryker would run every spec for each; about half of lib/auth's
	// mutants are such, which would take hours. They are reported as ignored, not as survivors.
	ignoreStatic: true,
	// The worker runs in its own thread, where Stryker cannot switch mutants on.
	mutate: ["lib/auth/**/*.ts"],
	// No type checker: it would type-check every mutant against the whole project, tests included;
	// a mutant that does not type-check is run like any other and fails or survives its tests.
	checkers: [],
	// One Jest process per core.
	concurrency: 2,
	timeoutMS: 10_000,
	reporters: ["html", "json", "clear-text", "progress"],
	htmlReporter: { fileName: "reports/mutation/index.html" },
	jsonReporter: { fileName: "reports/mutation/mutation.json" },
	tempDirName: ".stryker-tmp",
	cleanTempDir: true
};
