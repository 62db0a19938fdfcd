/**
 * A strict decoder of the chunked transfer coding (RFC 9112 §7.1) for the fast transport: a
 * server that streams a body of unknown length answers a whole download with one such response,
 * and sending it again to undici would cost the server a second request. It accepts hex sizes
 * (at most 12 digits), chunk extensions `;name` or `;name=value` of tokens, no trailer fields, and
 * CRLF line ends. Anything else is "bad": the transport fails the body and sends the origin's
 * next requests to undici, the reference, which reads every body this decoder accepts the same
 * way (test/io/fast-transport.test.ts). Pure: it is fed the bytes of each read and says where
 * the data in them lies.
 */

/** Where the decoder is: the state table of the coding, one byte at a time outside the data. */
type State =
  | "size" // hex digits of a chunk size
  | "extension-name-start" // after ";": a token follows
  | "extension-name"
  | "extension-value-start" // after "=": a token follows
  | "extension-value"
  | "size-lf" // the LF that ends a size line
  | "data" // `remaining` bytes of data
  | "data-cr" // the CRLF after a chunk's data
  | "data-lf"
  | "end-cr" // the empty line after the last chunk (no trailer fields)
  | "end-lf"
  | "done";

const CR = 13;
const LF = 10;
const MAX_SIZE_DIGITS = 12;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** tchar of RFC 9110 §5.6.2, as a table over bytes (quoted values are refused). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;

export class ChunkedDecoder {
  #state: State = "size";
  #size = 0;
  #digits = 0;
  #remaining = 0;

  /** The body ended (the last chunk and its trailers were read). */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Reads bytes[from, to): calls `data` for each run of body data in it, in order, and returns
   * where it stopped: `to`, or less once the body is done (what follows is not this body's), or
   * -1 when the bytes are not a chunked body.
   */
  feed(
    bytes: Uint8Array,
    from: number,
    to: number,
    data: (start: number, end: number) => void,
  ): number {
    let i = from;
    while (i < to) {
      const state = this.#state;
      if (state === "done") return i;
      if (state === "data") {
        const take = Math.min(this.#remaining, to - i);
        data(i, i + take);
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = "data-cr";
        continue;
      }
      const c = bytes[i++]!;
      if (!this.#step(state, c)) return -1;
    }
    return i;
  }

  /** One byte outside the data; false when it is not allowed there. */
  #step(state: State, c: number): boolean {
    switch (state) {
      case "size": {
        const digit = hexValue(c);
        if (digit >= 0) {
          if (++this.#digits > MAX_SIZE_DIGITS) return false;
          this.#size = this.#size * 16 + digit;
          return true;
        }
        if (this.#digits === 0) return false;
        if (c === CR) this.#state = "size-lf";
        else if (c === SEMICOLON) this.#state = "extension-name-start";
        else return false;
        return true;
      }
      case "extension-name-start":
      case "extension-value-start":
        this.#state = state === "extension-name-start" ? "extension-name" : "extension-value";
        return TOKEN[c] === 1;
      case "extension-name":
      case "extension-value":
        if (c === CR) this.#state = "size-lf";
        else if (c === SEMICOLON) this.#state = "extension-name-start";
        else if (c === EQUALS && state === "extension-name") this.#state = "extension-value-start";
        else return TOKEN[c] === 1;
        return true;
      case "size-lf":
        if (c !== LF) return false;
        this.#remaining = this.#size;
        this.#state = this.#size === 0 ? "end-cr" : "data";
        this.#size = 0;
        this.#digits = 0;
        return true;
      case "data-cr":
        this.#state = "data-lf";
        return c === CR;
      case "data-lf":
        this.#state = "size";
        return c === LF;
      case "end-cr":
        this.#state = "end-lf";
        return c === CR;
      case "end-lf":
        this.#state = "done";
        return c === LF;
      default:
        return false;
    }
  }
}
