// Stryker only: Jest loads every spec file it is given, even when --testNamePattern skips all
// of its tests, and loading a file costs more than most tests in it. For a mutant, Stryker names
// the tests that cover it; this keeps only the files that hold one of them.
const { existsSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const Sequencer = require("@jest/test-sequencer").default;
const { TEST_FILES } = require("./record-test-files");

/** Spec file -> the ids of its tests, as noted by record-test-files.js; null before that run. */
function testsByFile(rootDir) {
	const file = join(rootDir, TEST_FILES);
	if (!existsSync(file)) return null;
	const byFile = new Map();
	for (const line of readFileSync(file, "utf8").split("\n")) {
		if (line === "") continue;
		const [id, path] = JSON.parse(line);
		byFile.set(path, [...(byFile.get(path) ?? []), id]);
	}
	return byFile;
}

class CoveringFilesSequencer extends Sequencer {
	constructor(options) {
		super(options);
		this.pattern = options.globalConfig.testNamePattern;
		this.rootDir = options.globalConfig.rootDir;
	}

	sort(tests) {
		const byFile = this.pattern ? testsByFile(this.rootDir) : null;
		if (byFile === null) return super.sort(tests);
		// The same regular expression Jest builds from --testNamePattern.
		const covering = new RegExp(this.pattern, "i");
		// A file the map does not know is kept: skipping a test could only let a mutant survive.
		return super.sort(tests.filter(test => !byFile.has(test.path) || byFile.get(test.path).some(id => covering.test(id))));
	}
}

module.exports = CoveringFilesSequencer;
