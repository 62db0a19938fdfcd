import type { DownloadOptions } from "./options.js";
import type { DownloadResult } from "./events.js";

// Placeholder signature while the orchestrator is written.
export async function download(_url: string, _options?: DownloadOptions): Promise<DownloadResult> {
  throw new Error("not yet");
}
