/**
 * Moleculer gives a service its methods, actions and events under computed names, and V8 turns
 * an object that gets more than a dozen properties that way into a hash table ("dictionary
 * mode"). moleculer-web reads the gateway service's own properties (settings, logger, broker,
 * its methods) dozens of times a request, and on a hash table each read is a lookup instead of
 * a load at a known offset: ~1,500 instructions a request (callgrind, the shipped gateway).
 * The jwtAuth mixin does this for the gateway it is mixed into, once it has started.
 */

/** Rounds of the probe's read: V8 only records what a function reads once it has run a while. */
const PROBE_READS = 1000;

/**
 * Has V8 lay `target` out with fast properties again, as it does for an object that becomes
 * the prototype of another and is read through it. Nothing else about `target` changes: its
 * properties, prototype and behaviour are the same. Call it once all its properties are set
 * (a service's `started`); properties added later keep it fast.
 */
export function withFastProperties<T extends object>(target: T): T {
	function Probe(): void {}
	Probe.prototype = target;
	const probe = new (Probe as unknown as new () => { readonly absent?: unknown })();
	const read = (): unknown => probe.absent;
	for (let i = 0; i < PROBE_READS; i++) read();
	return target;
}
