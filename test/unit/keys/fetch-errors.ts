/**
 * The error of each key store's last fetch while it failed, as its `fetched` event reports it:
 * what the store keeps to itself, read the way an operator's telemetry reads it.
 */
import type { IssuerKeyStore } from "../../../lib/auth/keys/key-store";

export function fetchErrorLog() {
	const fetchErrors = new Map<IssuerKeyStore, string>();
	return {
		lastFetchError: (keys: IssuerKeyStore): string | null => fetchErrors.get(keys) ?? null,
		noteFetch(keys: IssuerKeyStore, ok: boolean, error = "unknown error"): void {
			if (ok) fetchErrors.delete(keys);
			else fetchErrors.set(keys, error);
		}
	};
}
