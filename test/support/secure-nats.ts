/**
 * A nats-server of the test's own that requires a user and password and TLS, with a CA and a
 * server certificate the test generates (openssl), and its monitoring port for /connz.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "./gateway";
import { describeWhen } from "./server-gate";

export interface SecureNats {
	readonly port: number;
	readonly monitorPort: number;
	readonly user: string;
	readonly password: string;
	/** PEM file of the CA that signed the server's certificate. */
	readonly caFile: string;
	stop(): Promise<void>;
}

function openssl(dir: string, args: string[]): void {
	execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

function certificates(dir: string): void {
	openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-nats-ca", "-keyout", "ca-key.pem", "-out", "ca.pem"]);
	openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server-key.pem", "-out", "server.csr"]);
	writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
	openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "1", "-extfile", "san.ext", "-out", "server.pem"]);
}

function listening(port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = connect({ host: "127.0.0.1", port });
		socket.once("connect", () => {
			socket.destroy();
			resolve(true);
		});
		socket.once("error", () => resolve(false));
	});
}

export async function startSecureNats(): Promise<SecureNats> {
	const dir = mkdtempSync(join(tmpdir(), "secure-nats-"));
	certificates(dir);
	const [port, monitorPort] = [await freePort(), await freePort()];
	const user = "cluster";
	const password = `pw-${process.pid}-${Date.now().toString(36)}`;
	writeFileSync(
		join(dir, "nats.conf"),
		[
			`listen: "127.0.0.1:${port}"`,
			`http: "127.0.0.1:${monitorPort}"`,
			`authorization { user: "${user}", password: "${password}", timeout: 2 }`,
			`tls { cert_file: "${join(dir, "server.pem")}", key_file: "${join(dir, "server-key.pem")}", timeout: 2 }`
		].join("\n")
	);
	const server: ChildProcess = spawn("nats-server", ["-c", join(dir, "nats.conf")], { stdio: "ignore" });
	await waitFor(() => listening(port), 10_000, 50);
	return {
		port,
		monitorPort,
		user,
		password,
		caFile: join(dir, "ca.pem"),
		async stop() {
			server.kill("SIGTERM");
			await new Promise(resolve => (server.exitCode !== null ? resolve(null) : server.once("exit", resolve)));
			rmSync(dir, { recursive: true, force: true });
		}
	};
}

/** `describe` when the nats-server and openssl binaries run; `describe.skip` (announced) off CI otherwise. */
export function describeWithNatsServer(): jest.Describe {
	const ok = [["nats-server", "--version"], ["openssl", "version"]].every(([binary, arg]) => spawnSync(binary as string, [arg as string], { timeout: 5000 }).status === 0);
	return describeWhen(ok, "nats-server or openssl cannot be run", "the transporter trust suite is skipped");
}
