/**
 * JSON-RPC 2.0 as aria2 speaks it: single requests and batches, `system.multicall`, and the
 * `token:SECRET` first parameter. Pure: reads a parsed body, says what to call and what to
 * answer.
 */

export type RpcId = string | number | null;

export interface RpcCall {
  /** Absent for a notification (no answer is sent). */
  id: RpcId | undefined;
  method: string;
  params: unknown[];
}

export interface RpcErrorBody {
  code: number;
  message: string;
}

export type RpcResponse =
  | { jsonrpc: "2.0"; id: RpcId; result: unknown }
  | { jsonrpc: "2.0"; id: RpcId; error: RpcErrorBody };

/** JSON-RPC's own codes; aria2 answers every method failure with code 1. */
export const RPC_ERROR = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** aria2's code for any failure inside a method, "Unauthorized" included. */
  method: 1,
} as const;

/** A failure a method reports to the caller; its message is shown as is. */
export class RpcFault extends Error {
  readonly code: number;
  constructor(message: string, code: number = RPC_ERROR.method) {
    super(message);
    this.code = code;
  }
}

export type Item = { ok: true; call: RpcCall } | { ok: false; response: RpcResponse };

export type Parsed =
  | { kind: "single"; item: Item }
  | { kind: "batch"; items: Item[] }
  /** Answered at once: not JSON, or an empty batch. */
  | { kind: "invalid"; response: RpcResponse };

export function errorResponse(id: RpcId, code: number, message: string): RpcResponse {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

export function resultResponse(id: RpcId, result: unknown): RpcResponse {
  return { jsonrpc: "2.0", id, result };
}

function isId(value: unknown): value is RpcId {
  return (
    value === null ||
    typeof value === "string" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

/**
 * One request object. aria2 does not insist on `"jsonrpc": "2.0"` (the npm `aria2` client sends
 * `"json-rpc"`), so an absent one is accepted; a wrong one is not.
 */
export function readRequest(value: unknown): Item {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      ok: false,
      response: errorResponse(null, RPC_ERROR.invalidRequest, "Invalid Request."),
    };
  }
  const request = value as Record<string, unknown>;
  const id = "id" in request ? request.id : undefined;
  if (id !== undefined && !isId(id)) {
    return {
      ok: false,
      response: errorResponse(null, RPC_ERROR.invalidRequest, "Invalid Request."),
    };
  }
  const invalid = (message: string): Item => ({
    ok: false,
    response: errorResponse(id ?? null, RPC_ERROR.invalidRequest, message),
  });
  if ("jsonrpc" in request && request.jsonrpc !== "2.0") return invalid("Invalid Request.");
  if (typeof request.method !== "string") return invalid("Invalid Request: no method.");
  const params = request.params ?? [];
  if (!Array.isArray(params)) {
    return {
      ok: false,
      response: errorResponse(id ?? null, RPC_ERROR.invalidParams, "params must be an array"),
    };
  }
  return { ok: true, call: { id, method: request.method, params } };
}

/** A request body's text: one request, or a batch. */
export function parseBody(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "invalid", response: errorResponse(null, RPC_ERROR.parse, "Parse error.") };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return {
        kind: "invalid",
        response: errorResponse(null, RPC_ERROR.invalidRequest, "Invalid Request: empty batch."),
      };
    }
    return { kind: "batch", items: value.map(readRequest) };
  }
  return { kind: "single", item: readRequest(value) };
}

/** Splits aria2's `token:SECRET` off the parameters, if the first one is such a string. */
export function splitToken(params: readonly unknown[]): {
  token: string | undefined;
  rest: unknown[];
} {
  const [first, ...rest] = params;
  if (typeof first === "string" && first.startsWith("token:")) {
    return { token: first.slice("token:".length), rest };
  }
  return { token: undefined, rest: [...params] };
}

/** One call of a `system.multicall`: `{ methodName, params }`. */
export function readMulticall(
  params: readonly unknown[],
): { method: string; params: unknown[] }[] | RpcErrorBody {
  const [calls] = params;
  if (!Array.isArray(calls)) {
    return { code: RPC_ERROR.invalidParams, message: "system.multicall takes an array of calls" };
  }
  const read: { method: string; params: unknown[] }[] = [];
  for (const call of calls) {
    if (typeof call !== "object" || call === null) {
      return { code: RPC_ERROR.invalidParams, message: "each call is { methodName, params }" };
    }
    const { methodName, params: callParams = [] } = call as Record<string, unknown>;
    if (typeof methodName !== "string" || !Array.isArray(callParams)) {
      return { code: RPC_ERROR.invalidParams, message: "each call is { methodName, params }" };
    }
    if (methodName === "system.multicall") {
      return { code: RPC_ERROR.invalidParams, message: "system.multicall cannot be nested" };
    }
    read.push({ method: methodName, params: callParams });
  }
  return read;
}
