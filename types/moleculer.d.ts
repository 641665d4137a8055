import "moleculer";
import type { ActionAuth } from "../lib/auth/policy/requirement";

declare module "moleculer" {
	interface ActionSchema {
		/** What the gateway requires of the caller before this action runs (see docs/CONTRACT.md). */
		auth?: ActionAuth;
	}
}
