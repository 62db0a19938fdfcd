/**
 * The transport download() builds when the caller gives none: the fast transport (plain sockets)
 * over undici, one connection per lane, with the caller's TLS and proxy settings.
 */
import type { DownloadOptions, NormalizedOptions } from "./options.js";
import { normalizeOptions } from "./options.js";
import type { Transport } from "./io/transport.js";
import { createLazyUndiciTransport } from "./io/lazy-undici.js";
import { proxyFor } from "./core/proxy.js";
import { createFastTransport } from "./io/fast-transport.js";

/**
 * Sees the size of every chunk received, and whether memory was allocated for it (undici's
 * socket reads, the fast transport's reads beyond its full ring) rather than reused (the fast
 * transport's ring, the lanes' batch buffers): only the former leave garbage behind.
 */
export type OnReceived = (bytes: number, allocated: boolean) => void;

/** What the default transport is built from. */
export type TransportOptions = Pick<DownloadOptions, "proxy" | "insecure" | "caCertificates"> & {
  onReceived?: OnReceived;
};

/**
 * The transport download() builds when given none: io/fast-transport.ts for requests sent
 * directly, undici for the rest (or for all, with PARGET_TRANSPORT=undici), one connection per
 * lane, with these TLS and proxy settings. A caller that builds its own passes it as
 * `transport` and closes it.
 */
export function createTransport(options: TransportOptions = {}): Transport {
  return defaultTransport(normalizeOptions(options), options.onReceived);
}

export function defaultTransport(
  { caCertificates, insecure, proxy }: NormalizedOptions,
  onReceived?: OnReceived,
): Transport {
  const undici = createLazyUndiciTransport({
    ca: caCertificates,
    insecure,
    proxyFor: (url) => proxyFor(url, process.env, proxy),
    ...(onReceived ? { onReceived } : {}),
  });
  // The escape hatch: everything through undici, the reference (README, "Transport").
  if (process.env["PARGET_TRANSPORT"] === "undici") return undici;
  return createFastTransport({
    fallback: undici,
    ca: caCertificates,
    insecure,
    proxyFor: (url) => proxyFor(url, process.env, proxy),
    ...(onReceived ? { onReceived } : {}),
  });
}
