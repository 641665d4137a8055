/**
 * `jwtAuth(options)`: the typed options an integrator writes, validated once into the
 * verifier's configuration. Every bad value, unknown option or missing issuer is one line
 * naming the option (`jwtAuth: options.audience must ...`); nothing falls back to an issuer
 * nobody configured.
 */
import type { JwsAlgorithm } from "../jws/algorithms";
import type { IssuerOptions, JwksCacheOptions, JwtAuthOptions, RevocationOptions } from "./jwt-auth-options";
import { firstInsecureUrl } from "../keys/url-policy";
import { DEFAULT_REVOCATION_MAX_ENTRIES, DEFAULT_REVOCATION_MAX_LIFETIME } from "../revocation/revocations";
import { defaultThreadCount } from "../signatures/signature-threads";
import { parseClaimPath } from "./claim-path";
import {
	algorithmList,
	ConfigError,
	DEFAULT_ALGORITHMS,
	DEFAULTS,
	httpUrl,
	normaliseType,
	publicUrl,
	RANGES,
	type AuthConfig,
	type IssuerRules,
	type JwksOptions,
	type MapUser,
	type TrustedIssuer,
	type WholeNumberRange
} from "./config";

export type { IssuerOptions, JwksCacheOptions, JwtAuthOptions, RevocationOptions };

/** A bad option: its message names the option as the integrator wrote it. */
export class OptionsError extends ConfigError {
	constructor(
		readonly option: string,
		detail: string
	) {
		super(`options.${option}`, detail);
		this.name = "OptionsError";
		this.message = `jwtAuth: options.${option} ${detail}`;
	}
}

/** What `jwtAuth` accepts beside the verifier's settings (read by the gateway mixins). */
export const GATEWAY_OPTIONS = ["mapUser", "serviceUnavailable", "screenRequestIds"] as const;

/** Every option `jwtAuth` accepts (nested ones as `jwks.timeout`); anything else is refused by name. */
export const OPTION_NAMES: readonly string[] = [
	"issuer",
	"issuers",
	"jwksUri",
	"audience",
	"algorithms",
	"clockTolerance",
	"maxTokenAge",
	"tokenType",
	"jwks",
	"allowHttp",
	"verifyThreads",
	"rolesClaim",
	"publicUrl",
	"revocation",
	"propagateToken",
	...GATEWAY_OPTIONS
];
export const ISSUER_FIELDS: ReadonlySet<string> = new Set(["issuer", "jwksUri", "audience", "algorithms", "tokenType", "maxTokenAge", "clockTolerance"]);
export const JWKS_FIELDS: ReadonlySet<string> = new Set(["cacheMaxAge", "cooldown", "timeout", "staleMaxAge"]);
export const REVOCATION_FIELDS: ReadonlySet<string> = new Set(["redisUrl", "maxEntries", "maxLifetime"]);
const TOP_LEVEL: ReadonlySet<string> = new Set(OPTION_NAMES);

type Bag = Readonly<Record<string, unknown>>;

function isBag(value: unknown): value is Bag {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Runs a shared check, renaming its setting as the option. */
function named<T>(option: string, check: (name: string) => T): T {
	try {
		return check(option);
	} catch (err) {
		if (err instanceof ConfigError && !(err instanceof OptionsError)) throw new OptionsError(option, err.detail);
		throw err;
	}
}

function onlyKnown(at: string, value: Bag, known: ReadonlySet<string>): void {
	for (const key of Object.keys(value)) {
		if (!known.has(key)) throw new OptionsError(`${at}${key}`, `is not an option; the options are ${[...known].join(", ")}`);
	}
}

function text(option: string, value: unknown): string {
	if (typeof value !== "string" || value.trim() === "") throw new OptionsError(option, `must be a non-empty string, got ${JSON.stringify(value)}`);
	return value.trim();
}

function url(option: string, value: unknown): string {
	return named(option, name => httpUrl(name, text(option, value)));
}

function whole(option: string, value: unknown, range: WholeNumberRange, unit: string): number {
	if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
		const bound = range.max === Number.MAX_SAFE_INTEGER ? `at least ${range.min}` : `from ${range.min} to ${range.max}`;
		throw new OptionsError(option, `must be a whole number of ${unit} ${bound}, got ${JSON.stringify(value)}`);
	}
	return value;
}

function flag(option: string, value: unknown, fallback: boolean): boolean {
	if (value === undefined) return fallback;
	if (typeof value !== "boolean") throw new OptionsError(option, `must be true or false, got ${JSON.stringify(value)}`);
	return value;
}

function strings(option: string, value: unknown): string[] {
	const list = typeof value === "string" ? [value] : value;
	if (!Array.isArray(list) || list.length === 0) throw new OptionsError(option, `must be a string or a non-empty array of strings, got ${JSON.stringify(value)}`);
	return list.map((item: unknown, index) => text(`${option}[${index}]`, item));
}

function algorithms(option: string, value: unknown): JwsAlgorithm[] {
	if (!Array.isArray(value)) throw new OptionsError(option, `must be an array such as ["RS256", "EdDSA"], got ${JSON.stringify(value)}`);
	return named(option, name => algorithmList(name, value.map(item => text(option, item))));
}

function tokenType(option: string, value: unknown): string {
	const type = normaliseType(text(option, value));
	if (type === "") throw new OptionsError(option, `names no type; use e.g. "at+jwt", or leave it out`);
	return type;
}

function rulesOf(at: string, bag: Bag, defaults: IssuerRules): IssuerRules {
	return {
		audience: bag.audience === undefined ? defaults.audience : strings(`${at}audience`, bag.audience),
		algorithms: bag.algorithms === undefined ? defaults.algorithms : algorithms(`${at}algorithms`, bag.algorithms),
		clockTolerance: bag.clockTolerance === undefined ? defaults.clockTolerance : whole(`${at}clockTolerance`, bag.clockTolerance, RANGES.clockTolerance, "seconds"),
		maxTokenAge: bag.maxTokenAge === undefined ? defaults.maxTokenAge : whole(`${at}maxTokenAge`, bag.maxTokenAge, RANGES.maxTokenAge, "seconds"),
		type: bag.tokenType === undefined ? defaults.type : tokenType(`${at}tokenType`, bag.tokenType)
	};
}

function issuersOf(options: Bag, rules: IssuerRules): TrustedIssuer[] {
	if (options.issuer !== undefined && options.issuers !== undefined) throw new OptionsError("issuers", "cannot be given with options.issuer; list every issuer in options.issuers");
	if (options.issuer !== undefined) {
		const jwksUri = options.jwksUri === undefined ? null : url("jwksUri", options.jwksUri);
		return [{ issuer: url("issuer", options.issuer), jwksUri, rules }];
	}
	if (options.issuers === undefined) {
		throw new OptionsError("issuer", "is required: the URL your tokens' `iss` carries, such as https://auth.example.com/ (or options.issuers for several)");
	}
	if (options.jwksUri !== undefined) throw new OptionsError("jwksUri", "only applies with options.issuer; give each of options.issuers its own jwksUri");
	if (!Array.isArray(options.issuers) || options.issuers.length === 0) {
		throw new OptionsError("issuers", `must be a non-empty array of issuer URLs or { issuer, jwksUri?, audience?, ... }, got ${JSON.stringify(options.issuers)}`);
	}
	const seen = new Set<string>();
	return options.issuers.map((entry: unknown, index) => {
		const at = `issuers[${index}]`;
		const bag: Bag = typeof entry === "string" ? { issuer: entry } : isBag(entry) ? entry : {};
		if (!isBag(entry) && typeof entry !== "string") throw new OptionsError(at, `must be an issuer URL or { issuer, ... }, got ${JSON.stringify(entry)}`);
		onlyKnown(`${at}.`, bag, ISSUER_FIELDS);
		const issuer = url(`${at}.issuer`, bag.issuer);
		if (seen.has(issuer)) throw new OptionsError(`${at}.issuer`, `"${issuer}" is listed twice; list each issuer once`);
		seen.add(issuer);
		const jwksUri = bag.jwksUri === undefined ? null : url(`${at}.jwksUri`, bag.jwksUri);
		return { issuer, jwksUri, rules: rulesOf(`${at}.`, bag, rules) };
	});
}

function jwksOf(value: unknown, requireHttps: boolean): JwksOptions {
	if (value !== undefined && !isBag(value)) throw new OptionsError("jwks", `must be an object { cacheMaxAge?, cooldown?, timeout?, staleMaxAge? } in ms, got ${JSON.stringify(value)}`);
	const bag: Bag = value ?? {};
	onlyKnown("jwks.", bag, JWKS_FIELDS);
	const ms = (field: keyof typeof RANGES & keyof JwksCacheOptions, fallback: number) =>
		bag[field] === undefined ? fallback : whole(`jwks.${field}`, bag[field], RANGES[field], "ms");
	const jwks = {
		cacheMaxAge: ms("cacheMaxAge", DEFAULTS.JWKS_CACHE_MAX_AGE),
		cooldown: ms("cooldown", DEFAULTS.JWKS_COOLDOWN),
		timeout: ms("timeout", DEFAULTS.JWKS_TIMEOUT),
		staleMaxAge: ms("staleMaxAge", DEFAULTS.JWKS_STALE_MAX_AGE),
		requireHttps
	};
	if (jwks.staleMaxAge < jwks.cacheMaxAge) {
		throw new OptionsError("jwks.staleMaxAge", `(${jwks.staleMaxAge} ms) is shorter than jwks.cacheMaxAge (${jwks.cacheMaxAge} ms); make it at least as long`);
	}
	return jwks;
}

function revocationOf(value: unknown): AuthConfig["revocation"] {
	if (value !== undefined && !isBag(value)) throw new OptionsError("revocation", `must be an object { redisUrl?, maxEntries?, maxLifetime? }, got ${JSON.stringify(value)}`);
	const bag: Bag = value ?? {};
	onlyKnown("revocation.", bag, REVOCATION_FIELDS);
	let redisUrl: string | null = null;
	if (bag.redisUrl !== undefined) {
		// The URL is never repeated in an error: it may carry a password.
		const raw = typeof bag.redisUrl === "string" ? bag.redisUrl.trim() : "";
		let protocol = "";
		try {
			protocol = new URL(raw).protocol;
		} catch {
			// reported below
		}
		if (protocol !== "redis:" && protocol !== "rediss:") throw new OptionsError("revocation.redisUrl", "must be a redis:// or rediss:// URL");
		redisUrl = raw;
	}
	return {
		redisUrl,
		maxEntries: bag.maxEntries === undefined ? DEFAULT_REVOCATION_MAX_ENTRIES : whole("revocation.maxEntries", bag.maxEntries, { min: 1, max: 10_000_000 }, "entries"),
		maxLifetime: bag.maxLifetime === undefined ? DEFAULT_REVOCATION_MAX_LIFETIME : whole("revocation.maxLifetime", bag.maxLifetime, { min: 1, max: 31_536_000 }, "seconds")
	};
}

/** The options checked and completed with their defaults; throws an OptionsError naming the first bad one. */
export function resolveOptions(options: JwtAuthOptions): AuthConfig {
	if (!isBag(options)) throw new OptionsError("issuer", "is required: call jwtAuth({ issuer: \"https://auth.example.com/\" })");
	const bag: Bag = options;
	onlyKnown("", bag, TOP_LEVEL);
	const requireHttps = !flag("allowHttp", bag.allowHttp, false);
	const rules = rulesOf("", bag, { audience: null, algorithms: DEFAULT_ALGORITHMS, clockTolerance: DEFAULTS.JWT_CLOCK_TOLERANCE, maxTokenAge: null, type: null });
	const jwks = jwksOf(bag.jwks, requireHttps);
	const issuers = issuersOf(bag, rules);
	if (requireHttps) {
		const named = issuers.flatMap((issuer, index) => {
			const at = options.issuer === undefined ? `issuers[${index}].` : "";
			return [[`${at}issuer`, issuer.issuer], [`${at}jwksUri`, issuer.jwksUri]] as const;
		});
		const insecure = firstInsecureUrl(named);
		if (insecure !== null) throw new OptionsError(insecure.name, `${insecure.problem.replace(/ \(required.*\)$/, "")}; use https, or set allowHttp: true on a network you trust`);
	}
	const rolesClaim = bag.rolesClaim === undefined ? DEFAULTS.JWT_ROLES_CLAIM : text("rolesClaim", bag.rolesClaim);
	if (parseClaimPath(rolesClaim) === null) {
		throw new OptionsError("rolesClaim", `"${rolesClaim}" is not a claim path; use names joined by dots, such as realm_access.roles (__proto__, constructor and prototype are refused)`);
	}
	if (bag.mapUser !== undefined && typeof bag.mapUser !== "function") throw new OptionsError("mapUser", `must be a function (claims) => user, got ${typeof bag.mapUser}`);
	flag("serviceUnavailable", bag.serviceUnavailable, true);
	flag("screenRequestIds", bag.screenRequestIds, true);
	return {
		issuers,
		...rules,
		jwks,
		verifyThreads: bag.verifyThreads === undefined ? defaultThreadCount() : whole("verifyThreads", bag.verifyThreads, RANGES.verifyThreads, "threads"),
		rolesClaim,
		publicUrl: bag.publicUrl === undefined ? null : named("publicUrl", name => publicUrl(name, text("publicUrl", bag.publicUrl))),
		revocation: revocationOf(bag.revocation),
		propagateToken: flag("propagateToken", bag.propagateToken, false),
		mapUser: (bag.mapUser as MapUser | undefined) ?? null
	};
}
