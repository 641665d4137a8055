/**
 * Every part of an `auth` declaration on explicit aliases and the REST shorthand, with tokens
 * shaped as Auth0, Keycloak, Entra ID and Zuplo shape theirs (JWT_ROLES_CLAIM set as each needs):
 * the exact answer when a part holds and when it fails. Remote actions: action-auth-remote.spec.ts.
 */
import { ServiceBroker, type Service } from "moleculer";
import { parseAuthConfig } from "../../lib/auth/policy/env";
import type { SigningKey } from "../../lib/dev-issuer/signer";
import { KeyServer } from "../support/key-server";
import { waitFor } from "../support/gateway";
import { claimsFor, expectAnswer, expectForbidden, NO_TOKEN, send } from "../support/attack-kit";
import { urlOf, type Endpoint } from "../support/action-gateway";
import { place, shaped, SHAPE_CLAIM, SHAPES, type Grants, type ShapeName } from "../support/issuer-shapes";
import { ANY_SCOPE, PERMISSIONS, vaultGateway, VAULT_ENDPOINTS, vaultService } from "../support/vault";

describe.each(Object.keys(SHAPES) as ShapeName[])("%s-shaped tokens", shape => {
	const { issuerPath, trailingSlash, rolesClaim } = SHAPES[shape];
	const claim = SHAPE_CLAIM[shape];
	let main: KeyServer;
	let other: KeyServer;
	let mainKey: SigningKey;
	let otherKey: SigningKey;
	let broker: ServiceBroker;
	let url = "";

	beforeAll(async () => {
		main = await new KeyServer({ issuerPath, trailingSlash }).start();
		other = await new KeyServer({ issuerPath: "/other" }).start();
		mainKey = main.addKey("RS256", `${shape}-1`);
		otherKey = other.addKey("EdDSA", "other-1");
		broker = new ServiceBroker({ logger: false, metrics: false });
		const config = parseAuthConfig({ PORT: "0", JWT_ISSUER: `${main.issuer},${other.issuer}`, JWT_ROLES_CLAIM: rolesClaim });
		const gw: Service = broker.createService(vaultGateway(config));
		broker.createService(vaultService(claim, { remove: other.issuer, rotate: main.issuer }));
		await broker.start();
		url = urlOf(gw);
		await waitFor(() => (gw as unknown as { authenticator: { readiness(): { ready: boolean } } }).authenticator.readiness().ready);
	});

	afterAll(async () => {
		await broker.stop();
		await Promise.all([main.stop(), other.stop()]);
	});

	/** A token of this shape from its issuer, with grants placed the issuer's way. */
	const token = (grants: Grants = {}, edit: (claims: Record<string, unknown>) => void = () => undefined) => {
		const claims = shaped(shape, grants);
		edit(claims);
		return main.sign(mainKey, claimsFor(main.issuer, claims));
	};
	const hit = (endpoint: Endpoint, bearerToken?: string) =>
		send(endpoint.method, `${url}${endpoint.path}`, bearerToken === undefined ? {} : { Authorization: `Bearer ${bearerToken}` });

	describe.each(["explicit", "rest"] as const)("through %s aliases", kind => {
		const at = VAULT_ENDPOINTS[kind];

		it("anyScope: 200 with one of the scopes, 403 INSUFFICIENT_SCOPE naming them without", async () => {
			expect((await hit(at.anyScope, token({ scopes: ["openid", "vault:admin"] })))).toMatchObject({ status: 200, body: { action: "list" } });
			const lacking = token({ scopes: ["openid", "vault:write"] });
			expectForbidden(await hit(at.anyScope, lacking), lacking, "anyScope", ANY_SCOPE.join(" "));
		});

		it("roles: 200 with one role at JWT_ROLES_CLAIM, 403 ACCESS_DENIED without", async () => {
			expect((await hit(at.roles, token({ roles: ["viewer", "admin"] })))).toMatchObject({ status: 200, body: { action: "get" } });
			const none = token({ roles: ["viewer"] });
			expectForbidden(await hit(at.roles, none), none, "roles");
		});

		it("permissions: 200 with every permission, 403 INSUFFICIENT_SCOPE naming them without", async () => {
			expect((await hit(at.permissions, token({ permissions: ["read:secrets", "create:secrets"] })))).toMatchObject({ status: 200, body: { action: "create" } });
			const without = token({ permissions: ["read:secrets"] });
			expectForbidden(await hit(at.permissions, without), without, "permissions", PERMISSIONS.join(" "));
		});

		it(`claims: 200 when ${claim.path} holds ${JSON.stringify(claim.value)}, 403 ACCESS_DENIED when it holds another value`, async () => {
			expect((await hit(at.claims, token()))).toMatchObject({ status: 200, body: { action: "update" } });
			const another = token({}, claims => place(claims, claim.path, claim.path.endsWith("roles") ? [claim.other] : claim.other));
			expectForbidden(await hit(at.claims, another), another, "claims");
		});

		it("issuers: 200 for the listed issuer's token, 403 ACCESS_DENIED for the other trusted issuer's", async () => {
			const listed = other.sign(otherKey, claimsFor(other.issuer, shaped(shape)));
			expect((await hit(at.issuers, listed))).toMatchObject({ status: 200, body: { action: "remove" } });
			const unlisted = token({ scopes: ["vault:admin"] });
			expectForbidden(await hit(at.issuers, unlisted), unlisted, "issuers");
		});

		it("answers 401 NO_TOKEN on every declared action without a token", async () => {
			for (const endpoint of Object.values(at)) expectAnswer(await hit(endpoint), NO_TOKEN, "");
		});
	});

	it("lets a token through an action that declares every part only when all hold", async () => {
		const rotate: Endpoint = { method: "POST", path: "/x/rotate", action: "rotate" };
		const all: Grants = { scopes: ["vault:admin"], permissions: PERMISSIONS, roles: ["auditor"] };
		expect(await hit(rotate, token(all))).toMatchObject({ status: 200, body: { action: "rotate" } });
		const noScope = token({ ...all, scopes: ["vault:read"] });
		expectForbidden(await hit(rotate, noScope), noScope, "scopes", "vault:admin");
		const noRole = token({ ...all, roles: [] });
		expectForbidden(await hit(rotate, noRole), noRole, "roles");
	});
});
