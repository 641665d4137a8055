/**
 * What keeps `jwtAuth` from being bypassed silently once it is mixed into a gateway the
 * integrator wrote: Moleculer's merge lets the service's own `methods.authorize` (moleculer-web's
 * template has one), or a second `jwtAuth`, replace ours without a word, and a route without
 * `authorization: true` never asks it. So the merged schema is checked before the service is
 * created, routed local actions when it starts, and every call through an unauthorized route
 * at request time. The HTTP-side parts an integrator needs (request-id screening, the 503 for an
 * action without a node, bounds on what an anonymous request costs) wrap whatever handlers the
 * merge kept, so they hold in whichever order the mixins are listed; so does the one thing of
 * moleculer-web's own they make cheaper (each alias's log text, made once).
 */
import { Errors, type Service, type ServiceBroker, type ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { GatewayResponse, IncomingRequest } from "moleculer-web";
import { requirementOf } from "../lib/auth/policy/requirement";
import { armBodyDeadline, DEFAULT_BODY_READ_TIMEOUT_MS, withoutQueryToken } from "./request-guards";

/** A gateway that would let requests past jwtAuth: it must not be created or started. */
export class JwtAuthSetupError extends Errors.ServiceSchemaError {
	constructor(message: string, data?: object) {
		super(`jwtAuth: ${message}`, data);
		this.name = "JwtAuthSetupError";
	}
}

export interface GuardOptions {
	readonly serviceUnavailable: boolean;
	readonly screenRequestIds: boolean;
}

type Method = (this: Service, ...args: never[]) => unknown;
type HttpHandler = (this: GuardedThis, req: IncomingRequest, res: GatewayResponse, next?: unknown) => unknown;
type ErrorHandler = (this: GuardedThis, req: IncomingRequest, res: GatewayResponse, err: unknown) => unknown;
type CallAction = (this: GuardedThis, route: RouteLike, actionName: string, req: IncomingRequest, ...rest: unknown[]) => unknown;
type CreateAlias = (this: GuardedThis, route: unknown, path: unknown, action: unknown) => { toString(): string };

interface RouteLike {
	readonly path?: string;
	readonly authorization?: unknown;
}

interface AliasLike {
	readonly method: string;
	readonly fullPath?: string;
	readonly path?: string;
	readonly action: string | null;
	readonly route: RouteLike;
}

interface GuardedThis extends Service {
	aliases?: readonly AliasLike[];
	unprotectedCall(actionName: string, req: IncomingRequest): Error;
}

/** A client's X-Request-ID / X-Correlation-ID is echoed and logged: only a short safe one is kept. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const REQUEST_ID_HEADERS = ["x-request-id", "x-correlation-id"] as const;

/** Marks the `authorize` of one jwtAuth(...) call, so the merged schema shows whose it kept. */
export const JWT_AUTHORIZE = Symbol("jwtAuth.authorize");

function isMarked(value: unknown): value is { [JWT_AUTHORIZE]: symbol } {
	return typeof value === "function" && JWT_AUTHORIZE in value;
}

/** The merged schema keeps our `authorize`, or the service is not created. */
function checkAuthorize(schema: ServiceSchema, ours: symbol): void {
	const methods = (schema.methods ?? {}) as Record<string, unknown>;
	const authorize = methods.authorize;
	const name = String(schema.name ?? "(unnamed)");
	if (isMarked(authorize) && authorize[JWT_AUTHORIZE] === ours) return;
	if (isMarked(authorize)) {
		throw new JwtAuthSetupError(
			`service "${name}" mixes in jwtAuth twice; only one of them can be its authorize method and the other's options would be ignored. Mix in one jwtAuth(...) per gateway (several issuers go in options.issuers).`
		);
	}
	throw new JwtAuthSetupError(
		`service "${name}" defines its own methods.authorize, which replaces jwtAuth's: requests would pass without a verified token. Remove it (moleculer-web's template has one); declare what an action needs in its \`auth\`, and shape ctx.meta.user with jwtAuth({ mapUser }).`
	);
}

/** A route that names another method as its authorization would never ask ours. */
function checkRoutes(schema: ServiceSchema): void {
	const routes = (schema.settings as { routes?: unknown } | undefined)?.routes;
	if (!Array.isArray(routes)) return;
	for (const route of routes as RouteLike[]) {
		if (typeof route.authorization === "string" && route.authorization !== "authorize") {
			throw new JwtAuthSetupError(`route "${route.path ?? "/"}" authorizes with method "${route.authorization}" instead of jwtAuth's authorize; set authorization: true`);
		}
	}
}

/** The `auth` a local action declares; `null` when no local service has the action. */
function localDeclaration(broker: ServiceBroker, actionName: string): { auth: unknown; published: boolean } | null {
	for (const service of broker.services) {
		if (!actionName.startsWith(`${service.fullName}.`)) continue;
		const actions = (service.schema.actions ?? {}) as Record<string, unknown>;
		for (const [key, definition] of Object.entries(actions)) {
			if (definition === false || definition === null) continue;
			const declared = typeof definition === "function" ? {} : (definition as { name?: string; auth?: unknown; visibility?: string });
			if (`${service.fullName}.${declared.name ?? key}` !== actionName) continue;
			return { auth: declared.auth, published: declared.visibility === undefined || declared.visibility === "published" };
		}
	}
	return null;
}

/** At start: no routed local action that requires a token sits behind a route without authorization. */
export function checkRoutedActions(service: GuardedThis): void {
	for (const alias of service.aliases ?? []) {
		if (alias.route.authorization || alias.action === null || alias.action === undefined) continue;
		const local = localDeclaration(service.broker, alias.action);
		if (local === null || !local.published) continue;
		const requirement = requirementOf(local.auth);
		if (requirement.kind === "public") continue;
		throw new JwtAuthSetupError(
			`route "${alias.route.path ?? "/"}" has no authorization: true, but its alias ${alias.method} ${alias.fullPath ?? alias.path ?? ""} reaches ${alias.action}, which requires a token (${requirement.kind === "optional" ? 'auth: "optional"' : "no auth: false"}). Set authorization: true on the route, or declare auth: false on the action if it is public.`,
			{ action: alias.action }
		);
	}
}

function screenRequestIds(req: IncomingRequest): void {
	const headers = req.headers;
	for (const name of REQUEST_ID_HEADERS) {
		const value = headers[name];
		if (value !== undefined && (typeof value !== "string" || !SAFE_REQUEST_ID.test(value))) delete headers[name];
	}
}

/** No node for the action: found none, or lost it; moleculer-web's own 503 for that carries no type. */
export function isOutage(err: unknown): boolean {
	if (err instanceof Errors.ServiceNotFoundError || err instanceof Errors.ServiceNotAvailableError) return true;
	return err instanceof ApiGateway.Errors.ServiceUnavailableError && err.type === undefined;
}

function wrapped(schema: ServiceSchema, options: GuardOptions): Record<string, Method> {
	const methods = (schema.methods ?? {}) as Record<string, Method>;
	const httpHandler = methods.httpHandler as unknown as HttpHandler | undefined;
	const errorHandler = methods.errorHandler as unknown as ErrorHandler | undefined;
	const callAction = methods.callAction as unknown as CallAction | undefined;
	const createAlias = methods.createAlias as unknown as CreateAlias | undefined;
	if (httpHandler === undefined || errorHandler === undefined || callAction === undefined) {
		throw new JwtAuthSetupError(`service "${String(schema.name)}" is not a moleculer-web gateway; mix in ApiGateway (moleculer-web) beside jwtAuth(...)`);
	}
	const guarded: Record<string, HttpHandler | ErrorHandler | CallAction | CreateAlias> = {
		/**
		 * Every request enters here. An unsafe request ID header is dropped before moleculer-web
		 * reads it (it then makes up its own ID); a token put in the query string is cut from the
		 * URL before anything reads it; a declared body must arrive within `settings.bodyReadTimeout`.
		 */
		httpHandler(this: GuardedThis, req: IncomingRequest, res: GatewayResponse, next?: unknown) {
			if (options.screenRequestIds) screenRequestIds(req);
			if (req.url !== undefined) req.url = withoutQueryToken(req.url);
			const timeout = (this.settings as { bodyReadTimeout?: number }).bodyReadTimeout ?? DEFAULT_BODY_READ_TIMEOUT_MS;
			if (timeout > 0) armBodyDeadline(req, res, timeout);
			return httpHandler.call(this, req, res, next);
		},
		callAction(this: GuardedThis, route: RouteLike, actionName: string, req: IncomingRequest, ...rest: unknown[]) {
			if (!route.authorization && requirementOf(req.$action?.auth).kind !== "public") throw this.unprotectedCall(actionName, req);
			return callAction.call(this, route, actionName, req, ...rest);
		}
	};
	if (createAlias !== undefined) {
		/**
		 * moleculer-web passes `alias.toString()` to a debug line on every routed request, and
		 * builds that text (lodash's padStart, kleur's colours) whether or not debug is on: ~0.3 µs
		 * a request. An alias does not change once created, so its text is made once; the lines
		 * that print it read the same.
		 */
		guarded.createAlias = function (this: GuardedThis, route: unknown, path: unknown, action: unknown) {
			const alias = createAlias.call(this, route, path, action);
			const text = alias.toString();
			alias.toString = () => text;
			return alias;
		};
	}
	if (options.serviceUnavailable) {
		/**
		 * A declared alias whose action has no live node is a temporary outage: 503, not
		 * moleculer-web's 404 for an action the registry no longer knows. On the error path only.
		 */
		guarded.errorHandler = function (this: GuardedThis, req: IncomingRequest, res: GatewayResponse, err: unknown) {
			const action = (req as { $alias?: { action?: string } }).$alias?.action;
			const answered = action !== undefined && isOutage(err) ? new ApiGateway.Errors.ServiceUnavailableError("SERVICE_UNAVAILABLE", { action }) : err;
			return errorHandler.call(this, req, res, answered);
		};
	}
	return { ...methods, ...(guarded as unknown as Record<string, Method>) };
}

/** The `merged` hook of one jwtAuth(...): refuses a bypass, then wraps the handlers the merge kept. */
export function guardMerged(ours: symbol, options: GuardOptions): (this: Service, schema: ServiceSchema) => void {
	return function merged(schema) {
		checkAuthorize(schema, ours);
		checkRoutes(schema);
		schema.methods = wrapped(schema, options) as ServiceSchema["methods"];
	};
}
