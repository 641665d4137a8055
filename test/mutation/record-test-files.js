// Stryker only: the test environment that notes, during Stryker's first run of all the specs,
// which spec file holds each test, for covering-files-sequencer.js.
const { appendFileSync } = require("node:fs");
const { join } = require("node:path");
const { TestEnvironment } = require("jest-environment-node");

/** Where the first run leaves the map, inside Stryker's sandbox (a copy of the project). */
const TEST_FILES = ".stryker-test-files.jsonl";

/** The test's name as Jest's --testNamePattern sees it: its describe names and its own, spaced. */
function testId(test) {
	const names = [];
	for (let block = test; block.parent; block = block.parent) names.unshift(block.name);
	return names.join(" ");
}

class RecordingEnvironment extends TestEnvironment {
	constructor(config, context) {
		super(config, context);
		this.testPath = context.testPath;
		this.mapFile = join(config.projectConfig.rootDir, TEST_FILES);
	}

	async handleTestEvent(event) {
		// A mutant's run sets this variable and runs a subset: only the first run is the whole map.
		if (event.name !== "test_start" || process.env.__STRYKER_ACTIVE_MUTANT__ !== undefined) return;
		appendFileSync(this.mapFile, `${JSON.stringify([testId(event.test), this.testPath])}\n`);
	}
}

module.exports = RecordingEnvironment;
module.exports.TEST_FILES = TEST_FILES;
