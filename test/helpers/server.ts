import type { TestContext } from "node:test";
import { startServer, type RangeServer, type ServerOptions } from "../../src/server/index.js";

/** A server owned by one test: on 127.0.0.1, any free port, closed when the test ends. */
export async function serve(t: TestContext, options: ServerOptions = {}): Promise<RangeServer> {
  const server = await startServer({ ...options, host: "127.0.0.1", port: 0 });
  t.after(() => server.close());
  return server;
}
