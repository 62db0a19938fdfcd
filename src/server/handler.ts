/** The request handler: looks up the file, lets faults pick, and sends the plan. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { openContent, type Content } from "./content.js";
import type { FaultRule } from "./faults.js";
import type { FileRegistry, FileVersion } from "./files.js";
import { buildPlan, disturb, interpret, lengthOf, type Plan } from "./plan.js";
import type { RequestLogEntry, ServerStats } from "./stats.js";
import { TokenBucket, flushed, writePaced, type Pacing } from "./throttle.js";

export interface Redirect {
  status: 301 | 302 | 303 | 307 | 308;
  /** Sent verbatim: absolute (another origin too), relative, or not HTTP at all (`ftp://x`). */
  location: string;
}

export interface HandlerContext {
  files: FileRegistry;
  stats: ServerStats;
  latencyMs: number;
  redirects: ReadonlyMap<string, Redirect>;
  bucketOf(socket: Socket): TokenBucket | undefined;
  /** Which accepted connection this is (0, 1, ...), for per-connection ETags. */
  connectionOf(socket: Socket): number;
}

export function createHandler(ctx: HandlerContext) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const controller = new AbortController();
    res.once("close", () => controller.abort());
    handle(ctx, req, res, controller.signal).catch((error: unknown) => {
      // An abort means the client left or the server is closing: nobody to answer.
      if (controller.signal.aborted) return;
      if (res.headersSent) res.destroy(error instanceof Error ? error : new Error(String(error)));
      else res.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`);
    });
  };
}

async function handle(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const path = (req.url ?? "/").split("?", 1)[0]!;
  const range = req.headers.range;
  const log: RequestLogEntry = {
    path,
    range,
    headers: { ...req.headers },
    status: 0,
    bytesSent: 0,
  };
  ctx.stats.requests++;
  if (range !== undefined) ctx.stats.rangeRequests++;
  ctx.stats.requestLog.push(log);
  const writeHead = (status: number, headers: Record<string, string>): void => {
    log.status = status;
    ctx.stats.statuses[status] = (ctx.stats.statuses[status] ?? 0) + 1;
    res.writeHead(status, headers);
  };
  const answerWith = (status: number, headers: Record<string, string>, text = ""): void => {
    writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(text)) });
    if (req.method !== "HEAD") {
      ctx.stats.bytesSent += Buffer.byteLength(text);
      log.bytesSent += Buffer.byteLength(text);
    }
    res.end(text);
  };

  if (ctx.latencyMs > 0) await delay(ctx.latencyMs, undefined, { signal });

  const redirect = ctx.redirects.get(path);
  if (redirect) return answerWith(redirect.status, { location: redirect.location });
  const method = req.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") return answerWith(405, { allow: "GET, HEAD" });
  const entry = ctx.files.get(path);
  if (!entry) return answerWith(404, { "content-type": "text/plain" }, "not found\n");

  const file = asSeenOn(entry.current, ctx.connectionOf(req.socket));
  // Node joins a repeated If-Range into one string (which matches nothing); only the type differs.
  const ifRange = req.headers["if-range"];
  const view = { method, range, ifRange: Array.isArray(ifRange) ? ifRange.join(", ") : ifRange };
  const { answer, requested, context } = interpret(file, view);
  const fault = entry.faults.pick(context);
  if (fault) log.fault = fault.kind;
  const plan = buildPlan(
    file,
    fault ? disturb(answer, requested, fault, file.size) : answer,
    method,
    String(req.headers["x-amz-checksum-mode"]).toUpperCase() === "ENABLED",
  );
  writeHead(plan.status, plan.headers);

  const pacing: Pacing = {
    buckets: [],
    signal,
    onSent: (bytes) => {
      ctx.stats.bytesSent += bytes;
      log.bytesSent += bytes;
      ctx.files.noteServed(entry, bytes);
    },
  };
  const connectionBucket = ctx.bucketOf(req.socket);
  if (connectionBucket) pacing.buckets.push(connectionBucket);
  if (fault?.kind === "slow") pacing.buckets.push(new TokenBucket(fault.rate, performance.now()));
  await sendBody(res, req.socket, plan, file.spec.content, fault, pacing);
}

async function sendBody(
  res: ServerResponse,
  socket: Socket,
  plan: Plan,
  content: Content,
  fault: FaultRule | undefined,
  pacing: Pacing,
): Promise<void> {
  const cut = fault && "afterBytes" in fault ? fault : undefined;
  let left = cut ? cut.afterBytes : lengthOf(plan.body);
  for (const part of plan.body) {
    const source = "text" in part ? part.text : content;
    const start = "text" in part ? 0 : part.range.start;
    const length = Math.min(left, lengthOf([part]));
    await writePaced(res, openContent(source, start), length, pacing);
    left -= length;
  }
  if (!cut) {
    res.end();
    return;
  }

  // The promised bytes must reach the kernel before the connection is cut.
  await flushed(res, pacing.signal);
  if (cut.kind === "reset") {
    // Only a plain TCP socket can send an RST; TLS falls back to an abrupt close.
    if ("encrypted" in socket) socket.destroy();
    else socket.resetAndDestroy();
  } else if (cut.kind === "truncate") {
    socket.destroySoon();
  } else {
    await new Promise((resolve) =>
      pacing.signal.addEventListener("abort", resolve, { once: true }),
    );
  }
}

/** The version as this connection sees it: with its own ETag when edges tag differently. */
function asSeenOn(file: FileVersion, connection: number): FileVersion {
  if (!file.spec.etagPerConnection || file.etag === undefined) return file;
  return { ...file, etag: `${file.etag.slice(0, -1)}-e${connection}"` };
}
