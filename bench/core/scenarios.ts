/**
 * The seven scenarios: their parameters, and how each is realised, in words for the report.
 */
import { MiB, type ScenarioId } from "./types.js";

/** The CDN-like per-connection rate. */
export const PACE = 8 * MiB;
/** Dealt to connections in turn in the uneven scenario. */
export const UNEVEN_RATES = [2, 4, 8, 16].map((r) => r * MiB);
/** The round trip the delay proxy adds (half each way). */
export const ADDED_RTT_MS = 40;
/** The shared bottleneck: 1 Gbit/s. */
export const BOTTLENECK_BYTES_PER_SECOND = 125_000_000;
export const BOTTLENECK_TBF = { rate: "1gbit", burst: "256kb", latency: "20ms" };

export interface Scenario {
  id: ScenarioId;
  number: number;
  title: string;
  /** How the scenario is realised, for the report. */
  how: string;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "unthrottled",
    number: 1,
    title: "Unthrottled, from nginx",
    how:
      "nginx (sendfile on, one worker) serves a file from tmpfs on 127.0.0.1 without any limit. " +
      "The same download is written once to the output directory on disk (its file system is " +
      "named in each heading and under Machine) and once to tmpfs, which separates the network " +
      "path from the file system. A third case fetches to tmpfs over HTTPS: nginx with a " +
      "throwaway self-signed P-256 certificate made by openssl, every client told not to check " +
      "it (parget and curl `--insecure`, aria2c `--check-certificate=false`, axel `--insecure`, " +
      "rclone, wget2 and wget `--no-check-certificate`). 100% is the fastest tool in the table.",
  },
  {
    id: "paced",
    number: 2,
    title: "CDN-like per-connection throttle (8 MiB/s)",
    how:
      "Kernel pacing, not nginx `limit_rate` (which budgets each request and lets each burst): " +
      "a python3 launcher creates nginx's listening socket, sets `SO_MAX_PACING_RATE` (socket " +
      "option 47) to 8 MiB/s on it, and hands it to nginx through the `NGINX` inherited-socket " +
      "variable; every accepted connection inherits the rate and TCP paces it on its own. " +
      "100% is N x 8 MiB/s. Single-connection tools only run in the N = 1 rows.",
  },
  {
    id: "uneven",
    number: 3,
    title: "Uneven connections (2, 4, 8, 16 MiB/s in turn)",
    how:
      "parget's own server (`src/server`, `rates`), started afresh for every run, paces the " +
      "n-th connection it accepts at 2, 4, 8 or 16 MiB/s in turn, like edges of unequal speed. " +
      "100% is the sum of the rates of the first N connections (120 MiB/s for 16). " +
      "Single-connection tools are left out: they would only measure the first, 2 MiB/s, slot.",
  },
  {
    id: "latency",
    number: 4,
    title: `Paced, with ${ADDED_RTT_MS} ms of added round-trip time`,
    how:
      `A delay proxy on loopback (node:net) holds every chunk ${ADDED_RTT_MS / 2} ms in each ` +
      "direction and opens one upstream connection per client connection to the paced nginx " +
      "listener, so the per-connection pacing still holds. TCP handshakes with the proxy are not " +
      "delayed (no netem in this kernel); requests and responses are. 100% is N x 8 MiB/s.",
  },
  {
    id: "bottleneck",
    number: 5,
    title: "A 1 Gbit/s bottleneck shared by all connections",
    how:
      "A network namespace of the benchmark's own (`ip netns add`), its loopback shaped with " +
      `\`tc qdisc add dev lo root tbf rate ${BOTTLENECK_TBF.rate} burst ${BOTTLENECK_TBF.burst} ` +
      `latency ${BOTTLENECK_TBF.latency}\`; nginx and every client run inside it ` +
      "(`ip netns exec`), and it is deleted afterwards. 100% is 1 Gbit/s (119.2 MiB/s).",
  },
  {
    id: "noranges",
    number: 6,
    title: "A server without ranges",
    how:
      "`python3 -m http.server` (HTTP/1.0, a connection per request, no Range support) and " +
      "nginx with `max_ranges 0`; every tool has to fall back to one connection. " +
      "100% is the fastest tool in the table.",
  },
  {
    id: "checksum",
    number: 7,
    title: "Timed to a verified file (SHA-256 given up front)",
    how:
      "The unthrottled nginx download, timed until the file is verified: parget with " +
      "`--checksum sha256=HEX`, aria2c with `--checksum=sha-256=HEX`, every other tool followed " +
      "by `sha256sum` (its time and CPU added). 100% is the fastest tool in the table.",
  },
];
