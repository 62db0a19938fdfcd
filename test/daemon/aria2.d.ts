// The npm `aria2` client ships no types; this is the part the tests use.
declare module "aria2" {
  import { EventEmitter } from "node:events";
  class Aria2 extends EventEmitter {
    constructor(options: {
      host?: string;
      port?: number;
      secure?: boolean;
      secret?: string;
      path?: string;
    });
    open(): Promise<void>;
    close(): Promise<void>;
    call(method: string, ...params: unknown[]): Promise<unknown>;
    multicall(calls: unknown[][]): Promise<unknown[]>;
    batch(calls: unknown[][]): Promise<Promise<unknown>[]>;
    listMethods(): Promise<string[]>;
    listNotifications(): Promise<string[]>;
  }
  export default Aria2;
}
