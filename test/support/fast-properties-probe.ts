/**
 * Run by test/integration/fast-properties.spec.ts in a child process with V8's
 * `--allow-natives-syntax`, which Jest's own process does not have: prints, as one JSON line,
 * whether objects have V8's fast properties, before and after withFastProperties, and of the
 * gateway service once it has started.
 */
import { ServiceBroker } from "moleculer";
import { withFastProperties } from "../../lib/gateway/fast-properties";
import { createApiService } from "../../services/api.service";
import { parseAppConfig } from "../../services/app-config";

// A V8 intrinsic, reachable only through eval with the flag: TypeScript cannot parse `%`.
const hasFastProperties = new Function("target", "return %HasFastProperties(target)") as (target: object) => boolean;

async function main(): Promise<void> {
	const hashed: Record<string, number> = Object.create({ inherited: true }) as Record<string, number>;
	for (let i = 0; i < 40; i++) hashed[`key${i}`] = i;
	const before = hasFastProperties(hashed);
	const same = withFastProperties(hashed) === hashed;
	const object = { before, after: hasFastProperties(hashed), same, keys: Object.keys(hashed).length, key7: hashed.key7, inherited: (hashed as { inherited?: boolean }).inherited === true };

	const broker = new ServiceBroker({ logger: false });
	const api = broker.createService(createApiService(parseAppConfig({ PORT: "0" })));
	const created = hasFastProperties(api);
	await broker.start();
	const started = hasFastProperties(api);
	await broker.stop();
	process.stdout.write(`${JSON.stringify({ object, service: { created, started } })}\n`);
}

main().catch((err: unknown) => {
	process.stderr.write(`${String(err)}\n`);
	process.exit(1);
});
