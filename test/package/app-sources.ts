/**
 * The fresh apps a user of the package writes: a CommonJS JavaScript app and a strict
 * TypeScript (ESM) app, each with an `api` gateway that adds `jwtAuth` in two lines and an
 * `orders` service whose actions declare `auth` as the package documents. Each app prints the
 * port it listens on, so tests need no fixed port.
 */

/** The routes both apps declare: every action reachable only through an authorized route. */
const ROUTES = `[{ path: "/api", authorization: true, aliases: { "GET /orders": "orders.list", "POST /orders": "orders.create" } }]`;

/** A route that forgets `authorization: true` in front of actions that require a token. */
const OPEN_ROUTES = ROUTES.replace("authorization: true, ", "");

export interface AppFiles {
	readonly [fileName: string]: string;
}

export const JS_APP_PACKAGE = { name: "fresh-js-app", version: "1.0.0", private: true };
export const TS_APP_PACKAGE = { name: "fresh-ts-app", version: "1.0.0", private: true, type: "module" };

/**
 * The CommonJS app, as written or with a mistake the package must refuse at start rather than let
 * requests through: "own-authorize" keeps the gateway's own `methods.authorize` (moleculer-web's
 * template has one), "open-route" routes the actions without `authorization: true`.
 */
export function jsApp(mistake: "none" | "own-authorize" | "open-route" = "none"): string {
	const authorize = mistake === "own-authorize" ? `\n\tmethods: {\n\t\tauthorize(ctx, route, req) {\n\t\t\treturn Promise.resolve(ctx);\n\t\t}\n\t},` : "";
	const routes = mistake === "open-route" ? OPEN_ROUTES : ROUTES;
	return `"use strict";
const { ServiceBroker } = require("moleculer");
const ApiGateway = require("moleculer-web");
const { jwtAuth } = require("moleculer-jwks-auth");

const broker = new ServiceBroker({ nodeID: "fresh-js-app" });

broker.createService({
	name: "api",
	mixins: [ApiGateway, jwtAuth({ issuer: process.env.ISSUER, audience: "orders-api" })],${authorize}
	settings: { port: 0, routes: ${routes} }
});

broker.createService({
	name: "orders",
	actions: {
		list(ctx) {
			return { orders: [], user: ctx.meta.user };
		},
		create: {
			auth: { scopes: ["orders:write"] },
			handler(ctx) {
				return { created: true, user: ctx.meta.user };
			}
		}
	}
});

broker.start().then(
	() => console.log(\`LISTENING \${broker.getLocalService("api").server.address().port}\`),
	err => {
		console.error(\`START FAILED: \${err.message}\`);
		process.exit(1);
	}
);
`;
}

/**
 * The strict TypeScript app. Besides using `auth` as documented, it checks that the package's
 * declarations type `auth` (not an index signature that takes anything): a number there must be
 * an error, and `@ts-expect-error` fails the compile when it is not.
 */
export function tsApp(): AppFiles {
	const app = `import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ServiceBroker, type ActionSchema, type Context } from "moleculer";
import ApiGateway from "moleculer-web";
import { jwtAuth } from "moleculer-jwks-auth";

const issuer = process.env.ISSUER;
if (!issuer) throw new Error("ISSUER is not set");

const broker = new ServiceBroker({ nodeID: "fresh-ts-app" });

broker.createService({
	name: "api",
	mixins: [ApiGateway, jwtAuth({ issuer, audience: "orders-api" })],
	settings: { port: 0, routes: ${ROUTES} }
});

interface OrdersMeta {
	user?: Record<string, unknown> | null;
}

broker.createService({
	name: "orders",
	actions: {
		list(ctx: Context<unknown, OrdersMeta>) {
			return { orders: [], user: ctx.meta.user };
		},
		create: {
			auth: { scopes: ["orders:write"] },
			handler(ctx: Context<unknown, OrdersMeta>) {
				return { created: true, user: ctx.meta.user };
			}
		}
	}
});

export const misdeclared: ActionSchema = {
	// @ts-expect-error \`auth\` is typed by the package's augmentation of ActionSchema
	auth: 42,
	handler() {
		return null;
	}
};

await broker.start();
const server = (broker.getLocalService("api") as unknown as { server: Server }).server;
console.log(\`LISTENING \${(server.address() as AddressInfo).port}\`);
`;
	const tsconfig = {
		compilerOptions: {
			target: "ES2022",
			module: "nodenext",
			moduleResolution: "nodenext",
			strict: true,
			// As \`tsc --init\` sets it: moleculer's and moleculer-web's own declarations do not pass a strict check.
			skipLibCheck: true,
			noEmitOnError: true,
			types: ["node"],
			outDir: "dist"
		},
		files: ["app.ts"]
	};
	return { "app.ts": app, "tsconfig.json": JSON.stringify(tsconfig, null, "\t") };
}
