/**
 * Each part of a declaration against claims shaped like Auth0, Keycloak, Entra ID and Zuplo
 * tokens: what holds, what fails, and the reason and part each failure carries.
 */
import { unmetDemand } from "../../../lib/auth/policy/authorization";
import { parseClaimPath, type ClaimPath } from "../../../lib/auth/policy/claim-path";
import { requirementOf, type Demands } from "../../../lib/auth/policy/requirement";
import type { JsonObject } from "../../../lib/auth/jws/token";
import { SHAPES, type ShapeName } from "../../support/issuer-shapes";

const ISSUER = "https://issuer.example.com/";

function demandsOf(auth: unknown): Demands {
	const requirement = requirementOf(auth);
	if (requirement.kind !== "required" || requirement.demands === null) throw new Error(`${JSON.stringify(auth)} demands nothing`);
	return requirement.demands;
}

/** "ok", or the reason and the failing part. */
function judge(shape: ShapeName, auth: unknown, issuer = ISSUER): string {
	const { claims, rolesClaim } = SHAPES[shape];
	const unmet = unmetDemand(demandsOf(auth), claims as unknown as JsonObject, issuer, parseClaimPath(rolesClaim) as ClaimPath);
	return unmet === null ? "ok" : `${unmet.reason}/${unmet.requirement}${unmet.requiredScopes ? `:${unmet.requiredScopes.join(" ")}` : ""}`;
}

describe("scopes (every one, from scope or scp)", () => {
	it.each([
		["auth0", { scopes: ["read:things"] }, "ok"],
		["auth0", { scopes: ["read:things", "write:things"] }, "insufficient_scope/scopes:read:things write:things"],
		["entra", { scopes: ["Things.Read", "Things.Write"] }, "ok"],
		["entra", { scopes: ["things.read"] }, "insufficient_scope/scopes:things.read"],
		["keycloak", { scopes: ["email"] }, "ok"],
		["zuplo", { scopes: ["read:things"] }, "ok"]
	])("%s with %j: %s", (shape, auth, expected) => {
		expect(judge(shape as ShapeName, auth)).toBe(expected);
	});
});

describe("anyScope (at least one)", () => {
	it.each([
		["entra", { anyScope: ["Things.Delete", "Things.Write"] }, "ok"],
		["entra", { anyScope: ["Things.Delete", "Things.Admin"] }, "insufficient_scope/anyScope:Things.Delete Things.Admin"],
		["auth0", { anyScope: ["write:things", "read:things"] }, "ok"],
		["zuplo", { anyScope: ["write:things"] }, "insufficient_scope/anyScope:write:things"]
	])("%s with %j: %s", (shape, auth, expected) => {
		expect(judge(shape as ShapeName, auth)).toBe(expected);
	});

	it("is judged after scopes: both failing names the scopes part", () => {
		expect(judge("zuplo", { scopes: ["x"], anyScope: ["y"] })).toBe("insufficient_scope/scopes:x");
	});
});

describe("permissions (every one, in the permissions array: Auth0 RBAC)", () => {
	it.each([
		["auth0", { permissions: ["delete:things"] }, "ok"],
		["auth0", { permissions: ["delete:things", "read:things"] }, "ok"],
		["auth0", { permissions: ["delete:things", "admin:things"] }, "insufficient_scope/permissions:delete:things admin:things"],
		// A scope is not a permission: Keycloak and Entra tokens carry no permissions array.
		["keycloak", { permissions: ["email"] }, "insufficient_scope/permissions:email"],
		["entra", { permissions: ["Things.Read"] }, "insufficient_scope/permissions:Things.Read"]
	])("%s with %j: %s", (shape, auth, expected) => {
		expect(judge(shape as ShapeName, auth)).toBe(expected);
	});
});

describe("roles (one of them, in the claim at JWT_ROLES_CLAIM)", () => {
	it.each([
		["auth0", { roles: ["admin", "editor"] }, "ok"],
		["auth0", { roles: ["admin"] }, "access_denied/roles"],
		["keycloak", { roles: ["things-admin"] }, "ok"],
		["keycloak", { roles: ["writer"] }, "access_denied/roles"],
		["entra", { roles: ["Things.Admin"] }, "ok"],
		["entra", { roles: ["things.admin"] }, "access_denied/roles"],
		["zuplo", { roles: ["support", "sales"] }, "ok"]
	])("%s with %j: %s", (shape, auth, expected) => {
		expect(judge(shape as ShapeName, auth)).toBe(expected);
	});
});

describe("claims (dotted path equals, or array contains)", () => {
	it.each([
		["keycloak", { claims: { email_verified: true } }, "ok"],
		["keycloak", { claims: { email_verified: "true" } }, "access_denied/claims"],
		["keycloak", { claims: { "resource_access.things-gateway.roles": "writer" } }, "ok"],
		["keycloak", { claims: { "resource_access.account.roles": "writer" } }, "access_denied/claims"],
		["entra", { claims: { tid: "11111111-2222-3333-4444-555555555555" } }, "ok"],
		["entra", { claims: { tid: "99999999-2222-3333-4444-555555555555" } }, "access_denied/claims"],
		["auth0", { claims: { org_id: "org_acme", aud: "https://things.example.com/api" } }, "ok"],
		["auth0", { claims: { org_id: "org_other" } }, "access_denied/claims"],
		["zuplo", { claims: { "data.plan": "gold", "data.customerId": 4711 } }, "ok"],
		["zuplo", { claims: { "data.customerId": "4711" } }, "access_denied/claims"],
		["zuplo", { claims: { "data.plan": "gold", "data.missing": "x" } }, "access_denied/claims"]
	])("%s with %j: %s", (shape, auth, expected) => {
		expect(judge(shape as ShapeName, auth)).toBe(expected);
	});
});

describe("issuers (the token's issuer is one of them)", () => {
	it("holds for a listed issuer and is denied for another", () => {
		expect(judge("entra", { issuers: [ISSUER, "https://other.example.com/"] })).toBe("ok");
		expect(judge("entra", { issuers: ["https://other.example.com/"] })).toBe("access_denied/issuers");
	});

	it("is judged first: a token of another issuer is denied as such even when scopes fail too", () => {
		expect(judge("auth0", { issuers: ["https://other.example.com/"], scopes: ["write:things"] })).toBe("access_denied/issuers");
	});
});

describe("several parts: every part given must hold", () => {
	it("lets in only a token that satisfies them all", () => {
		const auth = { scopes: ["read:things"], permissions: ["delete:things"], roles: ["editor"], claims: { org_id: "org_acme" }, issuers: [ISSUER] };
		expect(judge("auth0", auth)).toBe("ok");
		expect(judge("auth0", { ...auth, claims: { org_id: "org_beta" } })).toBe("access_denied/claims");
		expect(judge("auth0", { ...auth, roles: ["owner"] })).toBe("access_denied/roles");
		expect(judge("auth0", { ...auth, permissions: ["admin:things"] })).toBe("insufficient_scope/permissions:admin:things");
	});
});
