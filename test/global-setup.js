// Several suites start the built output as a user would (moleculer-runner on dist/):
// build it once before any test runs.
const { execFileSync } = require("node:child_process");

module.exports = function globalSetup() {
	execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: `${__dirname}/..`, stdio: "inherit" });
};
