/**
 * JWT_ISSUERS_FILE: every trusted issuer with its own rules, read and validated once at start.
 * The shape is checked by fastest-validator (Moleculer's own validator) with unknown fields
 * refused; each value then goes through the same checks as its environment variable, and any
 * problem becomes one ConfigError naming the file and the field. The issuers become
 * `jwtAuth`'s `issuers` option; a field an issuer omits takes the top-level option.
 */
import { readFileSync } from "node:fs";
import Validator from "fastest-validator";
import type { JwsAlgorithm } from "../jws/algorithms";
import { algorithmList, ConfigError, httpUrl, normaliseType } from "./config";
import type { IssuerOptions } from "./options";

const VARIABLE = "JWT_ISSUERS_FILE";

const nonEmpty = { type: "string", empty: false } as const;

const SCHEMA = {
	$$root: true,
	type: "object",
	strict: true,
	props: {
		issuers: {
			type: "array",
			min: 1,
			max: 100,
			items: {
				type: "object",
				strict: true,
				props: {
					issuer: nonEmpty,
					jwksUri: { ...nonEmpty, optional: true },
					audience: { type: "multi", optional: true, rules: [nonEmpty, { type: "array", min: 1, items: nonEmpty }] },
					algorithms: { type: "array", optional: true, min: 1, items: nonEmpty },
					type: { ...nonEmpty, optional: true },
					maxTokenAge: { type: "number", optional: true, integer: true, min: 1 },
					clockTolerance: { type: "number", optional: true, integer: true, min: 0, max: 3600 }
				}
			}
		}
	}
};

interface IssuerEntry {
	readonly issuer: string;
	readonly jwksUri?: string;
	readonly audience?: string | string[];
	readonly algorithms?: string[];
	readonly type?: string;
	readonly maxTokenAge?: number;
	readonly clockTolerance?: number;
}

const check = new Validator({ haltOnFirstError: true }).compile(SCHEMA);

function fail(file: string, detail: string): ConfigError {
	return new ConfigError(VARIABLE, `${file}: ${detail}`);
}

function readJson(file: string): unknown {
	let text: string;
	try {
		text = readFileSync(file, "utf8");
	} catch (err) {
		throw fail(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}); point JWT_ISSUERS_FILE at a readable JSON file`);
	}
	try {
		return JSON.parse(text);
	} catch (err) {
		throw fail(file, `is not JSON (${(err as Error).message.split("\n")[0]})`);
	}
}

/** Runs one value through its environment variable's check, renaming the variable as the file's field. */
function field<T>(file: string, name: string, value: () => T): T {
	try {
		return value();
	} catch (err) {
		if (err instanceof ConfigError) throw fail(file, `${name}: ${err.detail}`);
		throw err;
	}
}

/** The entry's own rules; what it leaves out is left out (the top-level option applies). */
function rulesOf(file: string, at: string, entry: IssuerEntry): Omit<IssuerOptions, "issuer" | "jwksUri"> {
	const algorithms: JwsAlgorithm[] | undefined = entry.algorithms === undefined ? undefined : field(file, `${at}.algorithms`, () => algorithmList(VARIABLE, entry.algorithms as string[]));
	return {
		...(entry.audience === undefined ? {} : { audience: typeof entry.audience === "string" ? [entry.audience] : entry.audience }),
		...(algorithms === undefined ? {} : { algorithms }),
		...(entry.clockTolerance === undefined ? {} : { clockTolerance: entry.clockTolerance }),
		...(entry.maxTokenAge === undefined ? {} : { maxTokenAge: entry.maxTokenAge }),
		...(entry.type === undefined ? {} : { tokenType: field(file, `${at}.type`, () => typeOf(entry.type as string)) })
	};
}

function typeOf(value: string): string {
	const type = normaliseType(value);
	if (type === "") throw new ConfigError(VARIABLE, `"${value}" names no type; use e.g. at+jwt, or leave the field out`);
	return type;
}

/** The issuers of `file`, as `jwtAuth`'s `issuers` option. */
export function issuersFromFile(file: string): IssuerOptions[] {
	const content = readJson(file);
	const verdict = check(content);
	if (verdict !== true) {
		const [first] = Array.isArray(verdict) ? verdict : [];
		throw fail(file, first === undefined ? "is not valid" : `${first.field || "(root)"}: ${first.message ?? first.type}`);
	}
	const entries = (content as { issuers: IssuerEntry[] }).issuers;
	const seen = new Set<string>();
	return entries.map((entry, index) => {
		const at = `issuers[${index}]`;
		const issuer = field(file, `${at}.issuer`, () => httpUrl(VARIABLE, entry.issuer));
		if (seen.has(issuer)) throw fail(file, `${at}.issuer: "${issuer}" is listed twice; list each issuer once`);
		seen.add(issuer);
		const jwksUri = entry.jwksUri === undefined ? {} : { jwksUri: field(file, `${at}.jwksUri`, () => httpUrl(VARIABLE, entry.jwksUri as string)) };
		return { issuer, ...jwksUri, ...rulesOf(file, at, entry) };
	});
}
