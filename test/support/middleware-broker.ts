/** A broker with the gateway's middleware list (lib/gateway/broker-middlewares.ts), as moleculer.config.ts builds it, and metrics to read. */
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { brokerMiddlewares } from "../../lib/gateway/broker-middlewares";

export function brokerWithGatewayMiddlewares(options: BrokerOptions): ServiceBroker {
	return new ServiceBroker({
		internalMiddlewares: false,
		middlewares: brokerMiddlewares({ actionMetrics: false }) as never,
		metrics: { enabled: true, reporter: [] },
		...options
	});
}
