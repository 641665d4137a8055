import { Authenticator } from "../../lib/auth/authenticator";
import { parseAuthConfig } from "../../lib/auth/config";
import { KeyServer } from "../support/key-server";
import { waitFor } from "../support/gateway";

describe("the verified-token cache", () => {
	let issuer: KeyServer;
	let auth: Authenticator;
	let now: number;
	const counts = { hit: 0, miss: 0 };

	beforeEach(async () => {
		issuer = await new KeyServer().start();
		issuer.addKey("EdDSA", "a");
		issuer.addKey("RS256", "b");
		now = Date.now();
		counts.hit = counts.miss = 0;
		auth = new Authenticator(parseAuthConfig({ JWT_ISSUER: issuer.issuer, JWKS_COOLDOWN: "0" }), {
			now: () => now,
			events: { hit: () => counts.hit++, miss: () => counts.miss++ }
		});
		auth.start();
		await waitFor(() => auth.readiness().ready);
	});

	afterEach(async () => {
		auth.stop();
		await issuer.stop();
	});

	it("answers a token seen before from the cache, each caller with its own copy of the claims", async () => {
		const token = issuer.mint(issuer.keys[0], { sub: "alice", now });
		const first = await auth.verify(token);
		const second = await auth.verify(token);
		expect(first.ok && second.ok).toBe(true);
		expect(counts).toEqual({ hit: 1, miss: 1 });
		if (!first.ok || !second.ok) return;
		expect(second.claims.sub).toBe("alice");
		second.claims.sub = "mallory";
		const third = await auth.verify(token);
		expect(third.ok && third.claims.sub).toBe("alice");
		expect(first.claims).not.toBe(second.claims);
	});

	it("still applies exp on a hit", async () => {
		const token = issuer.mint(issuer.keys[0], { expiresIn: 60, now });
		expect((await auth.verify(token)).ok).toBe(true);
		now += 66_000;
		expect(await auth.verify(token)).toMatchObject({ ok: false, reason: "expired" });
	});

	it("drops a cached token at once when its key leaves the key set", async () => {
		const token = issuer.mint(issuer.keys[1]);
		expect((await auth.verify(token)).ok).toBe(true);
		issuer.removeKey("b");
		await auth.refreshKeys();
		expect(await auth.verify(token)).toMatchObject({ ok: false, reason: "unknown_key" });
	});

	it("never caches a rejection", async () => {
		const token = issuer.mint(issuer.keys[0], { expiresIn: -60, now });
		await auth.verify(token);
		await auth.verify(token);
		expect(counts.hit).toBe(0);
	});
});
