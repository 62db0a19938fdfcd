/**
 * Everything the benchmark must undo (servers, the network namespace, temp files, a running
 * client), undone in reverse order at the end, on failure, and on SIGINT or SIGTERM.
 */

interface Task {
  name: string;
  run: () => Promise<void>;
}

export class Cleanup {
  readonly #tasks: Task[] = [];
  #running: Promise<void> | undefined;

  /** Registers `run`; the returned function forgets it (once it has been undone by hand). */
  add(name: string, run: () => Promise<void>): () => void {
    const task = { name, run };
    this.#tasks.push(task);
    return () => {
      const i = this.#tasks.indexOf(task);
      if (i >= 0) this.#tasks.splice(i, 1);
    };
  }

  /** Undoes everything still registered, last first; a failing step does not stop the rest. */
  runAll(log: (line: string) => void): Promise<void> {
    this.#running ??= (async () => {
      while (this.#tasks.length > 0) {
        const task = this.#tasks.pop()!;
        try {
          await task.run();
        } catch (error) {
          log(`cleanup: ${task.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.#running;
  }
}

/** On SIGINT or SIGTERM: clean up, then exit 130 (or 143). Returns the uninstaller. */
export function cleanUpOnSignals(cleanup: Cleanup, log: (line: string) => void): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    log(`\n${signal}: stopping servers and removing temp files...`);
    void cleanup.runAll(log).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
