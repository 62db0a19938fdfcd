/**
 * A network namespace of the benchmark's own whose loopback is shaped by tc tbf: a bottleneck
 * shared by every connection. Deleted by `destroy()` (and by the cleanup on failure).
 */
import type { Cleanup } from "./cleanup.js";
import { runQuiet, which } from "./processes.js";

export interface Netns {
  name: string;
  /** Put before a command to run it inside. */
  prefix: string[];
  destroy(): Promise<void>;
}

async function must(argv: string[]): Promise<void> {
  const result = await runQuiet(argv);
  if (result.code !== 0) {
    throw new Error(`${argv.join(" ")} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
  }
}

export async function createShapedNetns(
  name: string,
  tbf: { rate: string; burst: string; latency: string },
  cleanup: Cleanup,
): Promise<Netns> {
  if (!which("ip") || !which("tc")) throw new Error("ip and tc (iproute2) are not installed");
  await must(["ip", "netns", "add", name]);
  const destroy = async (): Promise<void> => {
    await runQuiet(["ip", "netns", "del", name]);
  };
  const forget = cleanup.add(`netns ${name}`, destroy);
  const prefix = ["ip", "netns", "exec", name];
  try {
    await must([...prefix, "ip", "link", "set", "lo", "up"]);
    await must([
      ...prefix,
      ...["tc", "qdisc", "add", "dev", "lo", "root", "tbf"],
      ...["rate", tbf.rate, "burst", tbf.burst, "latency", tbf.latency],
    ]);
  } catch (error) {
    forget();
    await destroy();
    throw error;
  }
  return {
    name,
    prefix,
    destroy: async () => {
      forget();
      await destroy();
    },
  };
}
