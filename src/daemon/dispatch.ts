/**
 * From a request's text to its answer: reads it (core/jsonrpc.ts), checks each call's secret,
 * runs the method from the table, and turns failures into aria2's error objects. A call is
 * authorized by a valid `Authorization: Bearer` on its HTTP request (or WebSocket upgrade), or
 * by its own `token:SECRET` first parameter.
 */
import { PargetError } from "../index.js";
import {
  RPC_ERROR,
  RpcFault,
  errorResponse,
  parseBody,
  readMulticall,
  resultResponse,
  splitToken,
  type Item,
  type RpcErrorBody,
  type RpcResponse,
} from "../core/jsonrpc.js";
import { QueueError } from "../core/queue.js";
import { METHOD_TABLE, type MethodContext } from "./methods.js";
import { secretMatches } from "./secret.js";

export interface Answer {
  /** The JSON text to send; undefined when every call was a notification. */
  text: string | undefined;
  /** Calls refused for a missing or wrong secret: the caller slows the answer and counts them. */
  unauthorized: number;
  /** Calls that proved the secret (public methods excluded). */
  authorized: number;
}

interface Tally {
  unauthorized: number;
  authorized: number;
  onAuthorized: () => void;
}

type Outcome = { result: unknown } | { error: RpcErrorBody };

export class Dispatcher {
  readonly #ctx: MethodContext;
  readonly #secret: string;

  constructor(ctx: MethodContext, secret: string) {
    this.#ctx = ctx;
    this.#secret = secret;
  }

  /**
   * Answers a request body; `bearer` says whether its transport already proved the secret.
   * `onAuthorized` runs as soon as a call proves it, before the method runs: a WebSocket then
   * hears the notifications that call causes.
   */
  async answer(
    text: string,
    bearer: boolean,
    onAuthorized: () => void = () => {},
  ): Promise<Answer> {
    const parsed = parseBody(text);
    const tally: Tally = { unauthorized: 0, authorized: 0, onAuthorized };
    if (parsed.kind === "invalid")
      return { text: JSON.stringify(parsed.response), unauthorized: 0, authorized: 0 };
    if (parsed.kind === "single") {
      const response = await this.#item(parsed.item, bearer, tally);
      return { text: response && JSON.stringify(response), ...counts(tally) };
    }
    const responses: RpcResponse[] = [];
    // One after another, in order: a batch that adds then moves a download means it.
    for (const item of parsed.items) {
      const response = await this.#item(item, bearer, tally);
      if (response) responses.push(response);
    }
    return {
      text: responses.length > 0 ? JSON.stringify(responses) : undefined,
      ...counts(tally),
    };
  }

  async #item(item: Item, bearer: boolean, tally: Tally): Promise<RpcResponse | undefined> {
    if (!item.ok) return item.response;
    const { id, method, params } = item.call;
    const outcome =
      method === "system.multicall"
        ? await this.#multicall(params, bearer, tally)
        : await this.#call(method, params, bearer, tally);
    if (id === undefined) return undefined;
    return "error" in outcome
      ? errorResponse(id, outcome.error.code, outcome.error.message)
      : resultResponse(id, outcome.result);
  }

  async #multicall(params: unknown[], bearer: boolean, tally: Tally): Promise<Outcome> {
    const calls = readMulticall(params);
    if (!Array.isArray(calls)) return { error: calls };
    const results: unknown[] = [];
    for (const call of calls) {
      const outcome = await this.#call(call.method, call.params, bearer, tally);
      // aria2's multicall: a result is wrapped in a list, a failure is its fault struct.
      results.push("error" in outcome ? outcome.error : [outcome.result]);
    }
    return { result: results };
  }

  async #call(name: string, params: unknown[], bearer: boolean, tally: Tally): Promise<Outcome> {
    const method = METHOD_TABLE.get(name);
    const { token, rest } = splitToken(params);
    if (!method?.public) {
      if (!bearer && !secretMatches(this.#secret, token)) {
        tally.unauthorized++;
        return { error: { code: RPC_ERROR.method, message: "Unauthorized" } };
      }
      tally.authorized++;
      tally.onAuthorized();
    }
    if (!method) {
      return { error: { code: RPC_ERROR.methodNotFound, message: `No such method: ${name}` } };
    }
    try {
      return { result: await method.run(this.#ctx, rest) };
    } catch (error) {
      return { error: faultOf(error) };
    }
  }
}

/** A method's failure as aria2 reports it: code 1 and a one-line message. */
function faultOf(error: unknown): RpcErrorBody {
  if (error instanceof RpcFault) return { code: error.code, message: error.message };
  if (error instanceof PargetError || error instanceof QueueError) {
    return { code: RPC_ERROR.method, message: error.message };
  }
  return {
    code: RPC_ERROR.internal,
    message: `internal error: ${error instanceof Error ? error.message : String(error)}`,
  };
}

function counts({ unauthorized, authorized }: Tally): Pick<Answer, "unauthorized" | "authorized"> {
  return { unauthorized, authorized };
}
