/** A gateway node's and a service node's transporter: TCP between two free ports, or the real NATS server. */
import type { BrokerOptions } from "moleculer";
import { freePort } from "./gateway";
import { NATS_URL } from "./nats";

export type Transporters = [BrokerOptions["transporter"], BrokerOptions["transporter"]];

export async function tcp(): Promise<Transporters> {
	const [gwPort, svcPort] = [await freePort(), await freePort()];
	const urls = `127.0.0.1:${gwPort}/gw-node,127.0.0.1:${svcPort}/svc-node`;
	return [
		{ type: "TCP", options: { udpDiscovery: false, port: gwPort, urls } },
		{ type: "TCP", options: { udpDiscovery: false, port: svcPort, urls } }
	];
}

export async function nats(): Promise<Transporters> {
	const transporter = { type: "NATS" as const, options: { servers: [NATS_URL] } };
	return [transporter, transporter];
}
