/**
 * The parget command's entry point. On Node 22.1 and later it first asks V8 to keep the code it
 * compiles for the bundle in Node's compile cache (under the temporary directory; off with
 * NODE_DISABLE_COMPILE_CACHE=1), so a run after the first skips parsing and compiling: 15-20 ms
 * of a small download's 90-120 ms on Node 24 and 26. Node 20 has no cache.
 */
// First: V8 flags that must hold while the rest loads.
import "./lean-runtime.js";
import module from "node:module";

// Typed by hand: the Node 20 types parget builds with do not declare it.
const withCache = module as { enableCompileCache?: () => unknown };
withCache.enableCompileCache?.();
await import("./main.js");
