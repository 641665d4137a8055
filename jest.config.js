/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: "node",
	// Type-checking is `npm run typecheck`'s job; tests only transpile.
	transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }] },
	// The example app imports the package by its name; tests run it from the sources.
	moduleNameMapper: { "^moleculer-jwks-auth$": "<rootDir>/index.ts" },
	testMatch: ["<rootDir>/test/**/*.spec.ts"],
	// npm run mutate's sandboxes are copies of the project, package.json included: Jest must not
	// see a second package of the same name while one runs.
	modulePathIgnorePatterns: ["<rootDir>/.stryker-tmp/"],
	globalSetup: "<rootDir>/test/global-setup.js",
	testTimeout: 30000,
	// Tests spawn real servers; fail loudly if one is left open.
	detectOpenHandles: false,
	forceExit: false
};
