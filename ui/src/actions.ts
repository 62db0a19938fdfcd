/**
 * What each button of the list does, as calls of the daemon's public RPC: the same calls a
 * script would make (aria2's methods, and parget's where aria2 has none).
 */
import type { Rpc } from "./rpc.js";
import type { Download } from "./model.js";
import { fieldOfMessage, type AddRequest, type FieldErrors } from "./form.js";

/** The list's actions that change the queue ("details" only changes the page). */
export type QueueAction =
  | "pause"
  | "resume"
  | "remove"
  | "remove-data"
  | "retry"
  | "up"
  | "down"
  | "forget"
  | "forget-data";

export async function runAction(rpc: Rpc, action: QueueAction, d: Download): Promise<void> {
  switch (action) {
    case "pause":
      await rpc.call("aria2.pause", d.gid);
      return;
    case "resume":
      await rpc.call("aria2.unpause", d.gid);
      return;
    case "remove":
      await rpc.call("aria2.remove", d.gid);
      return;
    case "forget":
      await rpc.call("aria2.removeDownloadResult", d.gid);
      return;
    case "remove-data":
    case "forget-data":
      await rpc.call("parget.removeWithData", d.gid);
      return;
    case "up":
    case "down":
      await rpc.call("aria2.changePosition", d.gid, action === "up" ? -1 : 1, "POS_CUR");
      return;
    case "retry": {
      // As aria2's interfaces do: the same URLs and options, as a new download.
      const [uris, options] = await rpc.multicall([
        ["aria2.getUris", d.gid],
        ["aria2.getOption", d.gid],
      ]);
      await rpc.call(
        "aria2.addUri",
        (uris as { uri: string }[]).map((u) => u.uri),
        options,
      );
      await rpc.call("aria2.removeDownloadResult", d.gid);
      return;
    }
  }
}

/** Adds each request in turn; the first the daemon refuses stops there, its error at its field. */
export async function addDownloads(rpc: Rpc, requests: AddRequest[]): Promise<FieldErrors> {
  for (const request of requests) {
    try {
      await rpc.call("aria2.addUri", request.uris, request.options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { [fieldOfMessage(message)]: message };
    }
  }
  return {};
}

/** An RPC's refusal in words, for the place the page shows it. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
