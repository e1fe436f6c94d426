/**
 * Turns SIGINT/SIGTERM into an `AbortSignal` for long-running commands, so
 * they stop gracefully: finish the batch in hand, close files, exit 0.
 *
 * @module
 */

/** A signal that aborts on SIGINT or SIGTERM, and a way to stop listening. */
export interface StopSignal {
  /** Aborted when the process is asked to stop. */
  signal: AbortSignal;
  /** Resolves once the signal aborts. */
  stopped: Promise<void>;
  /** Remove the OS signal listeners. */
  dispose(): void;
}

/** Listen for SIGINT and SIGTERM. */
export function onStopSignal(): StopSignal {
  const controller = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    controller.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  const handler = () => controller.abort(new Error("Stopped by signal"));
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, handler);
  return {
    signal: controller.signal,
    stopped,
    dispose() {
      for (const s of signals) Deno.removeSignalListener(s, handler);
    },
  };
}
