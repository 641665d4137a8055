/**
 * JWT_ISSUERS_FILE: per-issuer rules read from a real file, environment values as defaults, and
 * one line naming the file and the field for every way the file can be wrong.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAuthConfig } from "../../../lib/auth/policy/env";
import { configFailure } from "../../support/config-failure";

const A = "https://a.example.com/";
const B = "https://b.example.com";
let dir: string;
let counter = 0;

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), "issuers-file-"));
});

afterAll(() => {
	rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` (JSON of it, unless a string) to a fresh file and returns its path. */
function file(content: unknown): string {
	const path = join(dir, `issuers-${++counter}.json`);
	writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
	return path;
}

const failure = configFailure;

describe("JWT_ISSUERS_FILE", () => {
	it("gives each issuer its own rules and the environment's for what it omits", () => {
		const path = file({
			issuers: [
				{ issuer: A, jwksUri: "https://a.example.com/keys", audience: "api://a", algorithms: ["ES256"], type: "application/AT+JWT", maxTokenAge: 300, clockTolerance: 0 },
				{ issuer: B }
			]
		});
		const config = parseAuthConfig({ JWT_ISSUERS_FILE: path, JWT_AUDIENCE: "api://env", JWT_ALGORITHMS: "RS256", JWT_CLOCK_TOLERANCE: "7" });
		expect(config.issuers).toEqual([
			{ issuer: A, jwksUri: "https://a.example.com/keys", rules: { audience: ["api://a"], algorithms: ["ES256"], type: "at+jwt", maxTokenAge: 300, clockTolerance: 0 } },
			{ issuer: B, jwksUri: null, rules: { audience: ["api://env"], algorithms: ["RS256"], type: null, maxTokenAge: null, clockTolerance: 7 } }
		]);
	});

	it("takes an audience array as it is", () => {
		const config = parseAuthConfig({ JWT_ISSUERS_FILE: file({ issuers: [{ issuer: A, audience: ["x", "y"] }] }) });
		expect(config.issuers[0]?.rules.audience).toEqual(["x", "y"]);
	});

	it("replaces the development issuer, in production too", () => {
		const config = parseAuthConfig({ NODE_ENV: "production", JWT_ISSUERS_FILE: file({ issuers: [{ issuer: A }] }) });
		expect(config.issuers.map(issuer => issuer.issuer)).toEqual([A]);
	});

	it.each([
		["JWT_ISSUER is set too", { JWT_ISSUER: A }, "JWT_ISSUERS_FILE"],
		["JWKS_URI is set too", { JWKS_URI: "https://a.example.com/keys" }, "JWKS_URI"]
	])("stops when %s", (_name, env, variable) => {
		expect(failure({ JWT_ISSUERS_FILE: file({ issuers: [{ issuer: A }] }), ...env }).variable).toBe(variable);
	});

	it.each([
		["a missing file", () => join(dir, "none.json"), /cannot be read \(ENOENT\)/],
		["a file that is not JSON", () => file("{ issuers: "), /is not JSON/],
		["no issuers list", () => file({}), /issuers/],
		["an empty list", () => file({ issuers: [] }), /issuers/],
		["an unknown top-level field", () => file({ issuers: [{ issuer: A }], trust: "all" }), /trust/],
		["an unknown field of an issuer", () => file({ issuers: [{ issuer: A, audiance: "x" }] }), /issuers\[0\].*audiance/],
		["an issuer without issuer", () => file({ issuers: [{ audience: "x" }] }), /issuers\[0\]\.issuer/],
		["an issuer that is not a URL", () => file({ issuers: [{ issuer: "a.example.com" }] }), /issuers\[0\]\.issuer: "a\.example\.com" is not a URL/],
		["an issuer listed twice", () => file({ issuers: [{ issuer: A }, { issuer: A }] }), /issuers\[1\]\.issuer: .* listed twice/],
		["a jwksUri with credentials", () => file({ issuers: [{ issuer: A, jwksUri: "https://u:p@a.example.com/k" }] }), /issuers\[0\]\.jwksUri/],
		["an audience that is a number", () => file({ issuers: [{ issuer: A, audience: 7 }] }), /issuers\[0\]\.audience/],
		["an empty audience list", () => file({ issuers: [{ issuer: A, audience: [] }] }), /issuers\[0\]\.audience/],
		["HS256 among the algorithms", () => file({ issuers: [{ issuer: B }, { issuer: A, algorithms: ["RS256", "HS256"] }] }), /issuers\[1\]\.algorithms: "HS256" is symmetric/],
		["none as an algorithm", () => file({ issuers: [{ issuer: A, algorithms: ["none"] }] }), /issuers\[0\]\.algorithms: "none" would accept unsigned tokens/],
		["an unknown algorithm", () => file({ issuers: [{ issuer: A, algorithms: ["RS1024"] }] }), /issuers\[0\]\.algorithms: "RS1024" is not supported/],
		["a fractional maxTokenAge", () => file({ issuers: [{ issuer: A, maxTokenAge: 1.5 }] }), /issuers\[0\]\.maxTokenAge/],
		["a negative clockTolerance", () => file({ issuers: [{ issuer: A, clockTolerance: -1 }] }), /issuers\[0\]\.clockTolerance/],
		["a type that is empty", () => file({ issuers: [{ issuer: A, type: "" }] }), /issuers\[0\]\.type/],
		["a type that is only spaces", () => file({ issuers: [{ issuer: A, type: "  " }] }), /issuers\[0\]\.type: "  " names no type/]
	])("stops on %s with one line naming the file and the field", (_name, path, detail) => {
		const where = path();
		const error = failure({ JWT_ISSUERS_FILE: where });
		expect(error.variable).toBe("JWT_ISSUERS_FILE");
		expect(error.message.startsWith(`JWT_ISSUERS_FILE: ${where}: `)).toBe(true);
		expect(error.message).toMatch(detail);
		expect(error.message).not.toContain("\n");
	});
});
