/**
 * A verified token against an action's compiled demands: the first part that fails decides the
 * answer. Parts are judged in a fixed order: the issuer (another token entirely), then what a
 * client can ask its issuer for (scopes, permissions: 403 INSUFFICIENT_SCOPE naming them), then
 * who the subject is (roles, claims: 403 ACCESS_DENIED naming only the part).
 */
import { claimAt, claimHolds, type ClaimPath } from "./claim-path";
import { reject, type Rejection } from "./reasons";
import type { Demands, RequirementPart } from "./requirement";
import { grantedScopes } from "./scopes";
import type { JsonObject } from "../jws/token";

function insufficient(part: RequirementPart, requiredScopes: readonly string[]): Rejection {
	return { ...reject("insufficient_scope"), requirement: part, requiredScopes };
}

function denied(part: RequirementPart): Rejection {
	return { ...reject("access_denied"), requirement: part };
}

/** Strings of an array claim; anything else (a string, an object) grants nothing. */
function stringsOf(claim: unknown): readonly unknown[] {
	return Array.isArray(claim) ? claim : [];
}

/** Null when every declared part holds for these claims of a token issued by `issuer`. */
export function unmetDemand(demands: Demands, claims: JsonObject, issuer: string, rolesClaim: ClaimPath): Rejection | null {
	if (demands.issuers !== null && !demands.issuers.includes(issuer)) return denied("issuers");
	if (demands.scopes.length > 0 || demands.anyScope !== null) {
		const granted = grantedScopes(claims);
		if (!demands.scopes.every(scope => granted.has(scope))) return insufficient("scopes", demands.scopes);
		if (demands.anyScope !== null && !demands.anyScope.some(scope => granted.has(scope))) return insufficient("anyScope", demands.anyScope);
	}
	if (demands.permissions.length > 0) {
		const permissions = stringsOf(claims.permissions);
		if (!demands.permissions.every(permission => permissions.includes(permission))) return insufficient("permissions", demands.permissions);
	}
	if (demands.roles !== null) {
		const roles = claimAt(claims, rolesClaim);
		if (!demands.roles.some(role => claimHolds(roles, role))) return denied("roles");
	}
	for (const demand of demands.claims) {
		if (!claimHolds(claimAt(claims, demand.path), demand.value)) return denied("claims");
	}
	return null;
}
