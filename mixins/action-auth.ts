/**
 * The `auth` property of an action schema, for TypeScript apps: importing the package (its
 * declarations reference this file) lets `actions: { list: { auth: false, handler } }` type-check.
 */
import type { ActionAuth } from "../lib/auth/policy/requirement";

declare module "moleculer" {
	interface ActionSchema {
		/** What the gateway requires of the caller before this action runs: `false`, `"optional"`, `"required"` (the default) or `{ scopes, anyScope, permissions, roles, claims, issuers }`. */
		auth?: ActionAuth;
	}
}

export type { ActionAuth };
