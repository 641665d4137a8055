/**
 * docker-compose.yml, checked without a Docker engine: parsed and held against the image the
 * Dockerfile builds and the environment conventions of the services it runs.
 */
import { DEFAULTS } from "../../lib/auth/policy/config";
import { parseAuthConfig } from "../../lib/auth/policy/env";
import { buildContext, composeEnv, type ComposeService, dependsOn, env, loadYaml, parseDockerfile, publishedPorts, read, record } from "../support/dockerfile";

// ---------- the files under test ----------

const dockerfile = parseDockerfile(read("Dockerfile"));
const finalStage = dockerfile.stages[dockerfile.stages.length - 1];
const imageEnv = finalStage ? env(finalStage) : {};
const compose = record(loadYaml(read("docker-compose.yml")), "docker-compose.yml");
const services: ComposeService[] = Object.entries(record(compose.services, "services")).map(([name, spec]) => {
	const specRecord = record(spec, `service ${name}`);
	return { name, spec: specRecord, env: composeEnv(specRecord.environment) };
});
const byRole = (role: string) => services.filter(service => service.env.SERVICES === role);
const natsService = services.find(service => typeof service.spec.image === "string" && /^nats:/.test(service.spec.image));
const issuerService = services.find(service => service.name === "issuer");
const redisService = services.find(service => typeof service.spec.image === "string" && /^redis:/.test(service.spec.image));
const appServices = services.filter(service => service !== natsService && service !== redisService);
const clusterServices = [...byRole("api"), ...byRole("protected")];

describe("docker-compose.yml", () => {
	it("has a pinned NATS with a health check on its monitoring port", () => {
		expect(natsService).toBeDefined();
		const nats = natsService as ComposeService;
		expect(nats.spec.image).toMatch(/^nats:\d+\.\d+[\w.-]*$/);
		expect(nats.spec.image).not.toMatch(/latest/);
		const healthcheck = record(nats.spec.healthcheck, "nats healthcheck");
		expect(JSON.stringify(healthcheck.test)).toMatch(/8222\/healthz/);
		expect(JSON.stringify(nats.spec.command)).toMatch(/-m.*8222/);
	});

	it("runs two api nodes and two protected nodes, and the issuer, all from this image", () => {
		expect(issuerService).toBeDefined();
		expect(byRole("api").map(service => service.name)).toHaveLength(2);
		expect(byRole("protected").map(service => service.name)).toHaveLength(2);
		expect(appServices).toHaveLength(5);
		for (const service of appServices) {
			expect({ service: service.name, context: buildContext(service.spec) }).toEqual({ service: service.name, context: "." });
			expect(service.spec.image).toBe(appServices[0].spec.image);
			expect(service.spec.restart).toBe("unless-stopped");
		}
	});

	it("links every api and protected node through the nats service, in one namespace, in production", () => {
		const nats = natsService as ComposeService;
		for (const service of clusterServices) {
			const transporter = new URL(service.env.TRANSPORTER ?? "invalid:");
			expect({ service: service.name, protocol: transporter.protocol, host: transporter.hostname, port: transporter.port }).toEqual({
				service: service.name,
				protocol: "nats:",
				host: nats.name,
				port: "4222"
			});
			expect(service.env.NAMESPACE).toBe(clusterServices[0].env.NAMESPACE);
			expect(service.env.NODE_ENV ?? imageEnv.NODE_ENV).toBe("production");
			expect(dependsOn(service.spec)[nats.name]).toBe("service_healthy");
		}
		expect(clusterServices[0].env.NAMESPACE).toBeTruthy();
	});

	it("points the api nodes' JWT_ISSUER at the issuer service, exactly the iss its tokens carry", () => {
		const issuer = issuerService as ComposeService;
		const issuerPort = issuer.env.PORT ?? imageEnv.PORT;
		for (const service of byRole("api")) {
			const url = new URL(service.env.JWT_ISSUER ?? "invalid:");
			expect({ service: service.name, host: url.hostname, port: url.port, path: url.pathname }).toEqual({
				service: service.name,
				host: issuer.name,
				port: issuerPort,
				path: DEFAULTS.DEV_ISSUER_PATH
			});
			expect(service.env.JWT_ISSUER).toBe(issuer.env.DEV_ISSUER_URL);
			// The issuer's health check comes from the image.
			expect(dependsOn(service.spec)[issuer.name]).toBe("service_healthy");
		}
	});

	it("gives every api node a configuration that starts in production (plain-http stand-in issuer allowed explicitly)", () => {
		for (const service of byRole("api")) {
			const env = { ...imageEnv, ...service.env };
			expect(() => parseAuthConfig(env)).not.toThrow();
			// Without JWT_ALLOW_HTTP the same node would refuse its plain-http issuer.
			expect(() => parseAuthConfig({ ...env, JWT_ALLOW_HTTP: undefined })).toThrow(/JWT_ALLOW_HTTP=true/);
		}
	});

	it("publishes the two api nodes on different host ports, to the gateway's port", () => {
		const ports = byRole("api").flatMap(service => publishedPorts(service.spec).map(port => ({ ...port, port: service.env.PORT ?? imageEnv.PORT })));
		expect(ports).toHaveLength(2);
		for (const port of ports) expect(String(port.target)).toBe(port.port);
		expect(new Set(ports.map(port => port.published)).size).toBe(2);
	});

	it("runs the issuer as the development issuer: no JWT_ISSUER, not production, all services, no transporter", () => {
		const issuer = issuerService as ComposeService;
		expect(issuer.env.JWT_ISSUER).toBeUndefined();
		// The image sets NODE_ENV=production, which refuses to start without JWT_ISSUER: the issuer overrides it.
		expect(issuer.env.NODE_ENV ?? imageEnv.NODE_ENV).not.toBe("production");
		expect(issuer.env.SERVICES).toBeUndefined();
		expect(issuer.env.TRANSPORTER).toBeUndefined();
	});

	it("admits only clients with NATS's user and password, and every node has them", () => {
		const command = ((natsService as ComposeService).spec.command as string[]).join(" ");
		const [, user, password] = /--user (\S+) --pass (\S+)/.exec(command) ?? [];
		expect(user && password).toBeTruthy();
		for (const service of clusterServices) {
			const transporter = new URL(service.env.TRANSPORTER ?? "invalid:");
			expect({ service: service.name, user: transporter.username, password: decodeURIComponent(transporter.password) }).toEqual({ service: service.name, user, password });
		}
	});

	it("keeps the api nodes' revocations in a pinned Redis they wait for", () => {
		expect(redisService?.spec.image).toMatch(/^redis:\d+\.\d+[\w.-]*$/);
		const redis = redisService as ComposeService;
		expect(JSON.stringify(record(redis.spec.healthcheck, "redis healthcheck").test)).toMatch(/redis-cli.*ping/);
		for (const service of byRole("api")) {
			expect(new URL(service.env.REVOCATION_REDIS_URL ?? "invalid:")).toMatchObject({ protocol: "redis:", hostname: redis.name, port: "6379" });
			expect(dependsOn(service.spec)[redis.name]).toBe("service_healthy");
		}
	});
});
