/**
 * Fault rules: which response misbehaves, and how. Choosing is deterministic: a rule's
 * `probability` draws from a hash of the server's seed, the file and the rule, not Math.random.
 */
import { createHash } from "node:crypto";

export interface FaultMatch {
  /**
   * Which requests the rule considers: those carrying a `Range` header, only the file's first
   * request since its rules were set (typically the probe), or every request.
   * @default "all"
   */
  which?: "range" | "first" | "all";
  /** Apply at most this many times. @default unlimited */
  times?: number;
  /**
   * Let this many of the requests the rule considers pass first, as a presigned URL that expires
   * mid-download does. @default 0
   */
  after?: number;
  /** Chance of applying to each request the rule considers. @default 1 */
  probability?: number;
}

export type FaultAction =
  /** Answer with this status instead; `retryAfter` is sent verbatim (seconds or an HTTP-date). */
  | { kind: "status"; status: number; retryAfter?: string }
  /**
   * Send the headers and `afterBytes` of the body, then reset the connection (RST). As with a
   * real reset, bytes still queued in the kernel are lost: the client may get fewer.
   */
  | { kind: "reset"; afterBytes: number }
  /** Send exactly `afterBytes` of the body, then close cleanly (FIN), short of the full body. */
  | { kind: "truncate"; afterBytes: number }
  /** Send the headers and `afterBytes` of the body, then nothing until the client gives up. */
  | { kind: "stall"; afterBytes: number }
  /** A 206 for the asked range moved by `shift` bytes (clamped to the file), labelled as such. */
  | { kind: "wrong-range"; shift: number }
  /** A 206 for only the first half of the asked range, truthfully labelled. */
  | { kind: "other-range" }
  /** A 200 with the whole file, as if `Range` were not there. */
  | { kind: "ignore-range" }
  /** A 206 `multipart/byteranges`, even for a single range. */
  | { kind: "multipart" }
  /**
   * Once this many body bytes of the file have been served in total, replace it with a new
   * version (new content, ETag and Last-Modified). Fires once; ignores the matchers.
   * `keepDate`: the new version keeps the old Last-Modified (and length), as a file replaced within
   * the same second, or copied with its mtime kept (rsync -a), does: only the ETag tells.
   */
  | { kind: "replace-after"; bytes: number; keepDate?: boolean }
  /** Throttle this response's body to `rate` bytes/s (on top of any per-connection rate). */
  | { kind: "slow"; rate: number };

export type FaultRule = FaultMatch & FaultAction;

/** What a request looks like before any fault, which decides the rules that can act on it. */
export interface FaultContext {
  hasRangeHeader: boolean;
  /** Ranges the server would honour: one (a 206), several (multipart-able), or none. */
  honoured: "single" | "multiple" | "none";
  /** Body bytes of the undisturbed response (0 for HEAD). */
  bodyLength: number;
}

function canAct(rule: FaultRule, ctx: FaultContext): boolean {
  switch (rule.kind) {
    case "status":
      return true;
    case "reset":
    case "truncate":
    case "stall":
      return rule.afterBytes < ctx.bodyLength;
    case "wrong-range":
    case "other-range":
    case "ignore-range":
      return ctx.honoured === "single";
    case "multipart":
      return ctx.honoured !== "none";
    case "slow":
      return ctx.bodyLength > 0;
    case "replace-after":
      return false;
  }
}

/** One file's rules and their counters. */
export class FaultSet {
  #requests = 0;
  readonly #applied: number[];
  readonly #draws: number[];
  readonly #considered: number[];
  readonly #replaced: boolean[];

  constructor(
    readonly rules: readonly FaultRule[],
    private readonly seed: string,
  ) {
    this.#applied = rules.map(() => 0);
    this.#draws = rules.map(() => 0);
    this.#considered = rules.map(() => 0);
    this.#replaced = rules.map(() => false);
  }

  /** The rule that acts on this request, if any; the first that matches wins. */
  pick(ctx: FaultContext): FaultRule | undefined {
    const first = this.#requests++ === 0;
    for (const [i, rule] of this.rules.entries()) {
      const which = rule.which ?? "all";
      if (which === "range" && !ctx.hasRangeHeader) continue;
      if (which === "first" && !first) continue;
      if (!canAct(rule, ctx)) continue;
      if (this.#considered[i]!++ < (rule.after ?? 0)) continue;
      if (rule.times !== undefined && this.#applied[i]! >= rule.times) continue;
      if (rule.probability !== undefined && this.#draw(i) >= rule.probability) continue;
      this.#applied[i]!++;
      return rule;
    }
    return undefined;
  }

  /** The `replace-after` rule that has just come due, now that `served` bytes have gone out. */
  replacementDue(served: number): Extract<FaultRule, { kind: "replace-after" }> | undefined {
    let due: Extract<FaultRule, { kind: "replace-after" }> | undefined;
    for (const [i, rule] of this.rules.entries()) {
      if (rule.kind === "replace-after" && !this.#replaced[i] && served >= rule.bytes) {
        this.#replaced[i] = true;
        due ??= rule;
      }
    }
    return due;
  }

  #draw(rule: number): number {
    const n = this.#draws[rule]!++;
    return (
      createHash("sha256").update(`${this.seed}\0${rule}\0${n}`).digest().readUInt32BE(0) / 2 ** 32
    );
  }
}
