/**
 * A real HTTP issuer that a test controls: it publishes a discovery document and a key set,
 * mints tokens, rotates keys, and can go down, hang, trickle or answer garbage. It counts
 * every request it gets, per path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { generateSigningKey, mintToken, signJwt, type MintOptions, type SigningAlgorithm, type SigningKey } from "../../lib/dev-issuer/signer";

export type KeyServerMode = "up" | "down" | "hang" | "garbage" | "trickle" | "error";

export interface KeyServerOptions {
	/** Publish a discovery document (default) or answer it 404 (the Zuplo layout). */
	readonly discovery?: boolean;
	/** Path under the origin used as issuer, e.g. "/__zuplo/issuer". */
	readonly issuerPath?: string;
	readonly trailingSlash?: boolean;
}

export class KeyServer {
	readonly keys: SigningKey[] = [];
	/** Extra raw JWK objects published as-is (hostile key set tests). */
	rawKeys: unknown[] = [];
	mode: KeyServerMode = "up";
	/** When set, the key set body is exactly this string. */
	body: string | null = null;
	/** When set, the discovery document names this issuer instead of the real one. */
	discoveryIssuer: string | null = null;
	/** Whether a discovery document is published (else 404); can change while running. */
	discovery: boolean;
	/** When set, the discovery document names this jwks_uri instead of the real one. */
	discoveryJwksUri: string | null = null;
	/** The key set's file name under `/.well-known/`, named by discovery; can change while running. */
	jwksName = "jwks.json";
	private readonly hits = new Map<string, number>();
	private server: Server | null = null;
	private port = 0;

	constructor(private readonly options: KeyServerOptions = {}) {
		this.discovery = options.discovery !== false;
	}

	get origin(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	get issuer(): string {
		return `${this.origin}${this.options.issuerPath ?? "/issuer"}${this.options.trailingSlash ? "/" : ""}`;
	}

	get jwksPath(): string {
		return `${this.options.issuerPath ?? "/issuer"}/.well-known/${this.jwksName}`;
	}

	get jwksUri(): string {
		return `${this.origin}${this.jwksPath}`;
	}

	/** Requests received for the key set. */
	get jwksFetches(): number {
		return this.hits.get(this.jwksPath) ?? 0;
	}

	/** Requests received on any path. */
	get requests(): number {
		return [...this.hits.values()].reduce((sum, count) => sum + count, 0);
	}

	get discoveryFetches(): number {
		return this.hits.get(`${this.options.issuerPath ?? "/issuer"}/.well-known/openid-configuration`) ?? 0;
	}

	resetCounts(): void {
		this.hits.clear();
	}

	addKey(alg: SigningAlgorithm = "RS256", kid?: string, modulusLength?: number): SigningKey {
		const key = generateSigningKey(alg, kid, modulusLength);
		this.keys.push(key);
		return key;
	}

	removeKey(kid: string): void {
		const index = this.keys.findIndex(key => key.kid === kid);
		if (index >= 0) this.keys.splice(index, 1);
	}

	mint(key: SigningKey = this.keys[0] as SigningKey, options: Partial<MintOptions> = {}): string {
		return mintToken(key, { issuer: this.issuer, ...options });
	}

	/** Signs any payload and header with one of this issuer's keys. */
	sign(key: SigningKey, payload: object | string, header: object = {}): string {
		return signJwt(key, payload, header);
	}

	async start(port = 0): Promise<this> {
		this.server = createServer((req, res) => this.handle(req, res));
		await new Promise<void>(resolve => this.server?.listen(port, "127.0.0.1", resolve));
		this.port = (this.server.address() as AddressInfo).port;
		return this;
	}

	/** Closes the port: connections are refused until `start()` again (same port). */
	async stop(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = null;
		server.closeAllConnections();
		await new Promise<void>(resolve => server.close(() => resolve()));
	}

	async restart(): Promise<void> {
		const port = this.port;
		await this.stop();
		await this.start(port);
	}

	private handle(req: IncomingMessage, res: ServerResponse): void {
		const path = (req.url ?? "/").split("?")[0] as string;
		this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
		const base = this.options.issuerPath ?? "/issuer";
		switch (this.mode) {
			case "down":
				res.socket?.destroy();
				return;
			case "hang":
				return;
			case "error":
				res.writeHead(500).end("internal error");
				return;
			default:
		}
		if (path === `${base}/.well-known/openid-configuration`) {
			if (!this.discovery) return void res.writeHead(404).end();
			return this.json(res, { issuer: this.discoveryIssuer ?? this.issuer, jwks_uri: this.discoveryJwksUri ?? this.jwksUri });
		}
		if (path === this.jwksPath) {
			if (this.mode === "garbage") return void res.writeHead(200, { "content-type": "application/json" }).end("<html>not json");
			const body = this.body ?? JSON.stringify({ keys: [...this.keys.map(key => key.jwk), ...this.rawKeys] });
			if (this.mode === "trickle") return this.trickle(res, body);
			return void res.writeHead(200, { "content-type": "application/json" }).end(body);
		}
		res.writeHead(404).end();
	}

	private json(res: ServerResponse, body: object): void {
		res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
	}

	/** One byte every 200 ms: headers arrive at once, the body never finishes in time. */
	private trickle(res: ServerResponse, body: string): void {
		res.writeHead(200, { "content-type": "application/json" });
		let i = 0;
		const timer = setInterval(() => {
			if (i >= body.length || res.destroyed) {
				clearInterval(timer);
				res.end();
				return;
			}
			res.write(body[i++]);
		}, 200);
		res.on("close", () => clearInterval(timer));
	}
}
