import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configurationTable, optionsTable, reasonsTable } from "../../scripts/readme-tables";

const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");

describe("README", () => {
	it("carries the configuration table of the code's config schema (npm run docs:tables)", () => {
		expect(readme).toContain(configurationTable());
	});

	it("carries the options table of jwtAuth's option list (npm run docs:tables)", () => {
		expect(readme).toContain(optionsTable());
	});

	it("carries the troubleshooting table of the code's reason table", () => {
		expect(readme).toContain(reasonsTable());
	});

	it("gives the two set-up commands that CI runs", () => {
		expect(readme).toContain("npm ci && npm start");
		expect(readme).toContain("npm test");
		expect(readFileSync(join(__dirname, "../../.ci/run"), "utf8")).toMatch(/^npm test$/m);
	});
});
