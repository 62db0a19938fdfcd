/**
 * The CLI's memory policy: frees socket read buffers early. Each socket read is a 64 KiB buffer
 * held outside V8's heap, while V8 times its collections by its own heap, which a download barely
 * uses: at hundreds of MiB/s, tens of MiB of dead read buffers pile up between two collections.
 * The CLI exposes `gc` (lean-runtime.ts) and hands this to its transport as `onReceived`: a young
 * collection every few MiB received frees them while they are few (~0.2 ms each). It runs from
 * a fresh task, not from inside a data callback, so that the buffer being delivered is not kept
 * alive and promoted. The few that are promoted (held by a paused connection) need a full
 * collection, which costs ~10 ms: it runs only once the ArrayBuffers V8 holds have grown well
 * past the live ones. The library never collects on its own: its host process decides that.
 * Bytes the fast transport receives into memory it reuses (its ring, the lanes' batch buffers)
 * leave no garbage and count for nothing.
 */
const MINOR_EVERY_BYTES = 4 * 1024 * 1024;
const MAJOR_ABOVE_LIVE_BYTES = 4 * 1024 * 1024;

type GarbageCollector = (options: { type: "minor" | "major"; execution?: "async" }) => void;

export function createReclaimer(): (bytes: number, allocated: boolean) => void {
  let sinceMinor = 0;
  let scheduled = false;
  /** The least ArrayBuffer memory seen (reset after each full collection): the live part. */
  let live = Infinity;
  let afterMajor = false;
  const collect = (): void => {
    scheduled = false;
    const gc = (globalThis as { gc?: GarbageCollector }).gc;
    if (!gc) return;
    const held = process.memoryUsage().arrayBuffers;
    live = afterMajor ? held : Math.min(live, held);
    afterMajor = held - live >= MAJOR_ABOVE_LIVE_BYTES;
    if (afterMajor) gc({ type: "major", execution: "async" });
    else gc({ type: "minor" });
  };
  return (bytes, allocated) => {
    if (!allocated) return;
    sinceMinor += bytes;
    if (sinceMinor < MINOR_EVERY_BYTES || scheduled) return;
    sinceMinor = 0;
    scheduled = true;
    setImmediate(collect);
  };
}
