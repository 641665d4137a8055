/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: "node",
	// Type-checking is `npm run typecheck`'s job; tests only transpile.
	transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }] },
	// The example app imports the package by its name; tests run it from the sources.
	moduleNameMapper: { "^moleculer-jwks-auth$": "<rootDir>/index.ts" },
	testMatch: ["<rootDir>/test/**/*.spec.ts"],
	globalSetup: "<rootDir>/test/global-setup.js",
	testTimeout: 30000,
	// Tests spawn real servers; fail loudly if one is left open.
	detectOpenHandles: false,
	forceExit: false
};
