/**
 * The caller's event handler, made harmless: an exception it throws must not stop the download
 * (or escape from a timer and end the process). The first one is reported as a warning.
 */
export function guardHandler<E extends { type: string }>(
  handler: (event: E) => void,
): (event: E) => void {
  let reported = false;
  return (event) => {
    try {
      handler(event);
    } catch (error) {
      if (reported) return;
      reported = true;
      const why = error instanceof Error ? error.message : String(error);
      process.emitWarning(
        `the onEvent handler threw on a "${event.type}" event (${why}); ` +
          "the download goes on, and further errors from it are ignored",
        { code: "PARGET_EVENT_HANDLER" },
      );
    }
  };
}
