/**
 * For entries only (the `deno serve` entry and `stemedb serve`), never
 * library code: a bound on how long a process that has stopped its service
 * may take to end.
 *
 * Deno 2.9.6 flushes its OTLP exporter (`OTEL_DENO=true`) on every way out of
 * the process, `Deno.exit()` included, with no deadline: with a collector
 * that accepts the connection but never answers, a service that has drained
 * and closed everything stays alive for 30 s or more (measured), and SIGTERM
 * is then swallowed. The main thread is blocked in that flush, so the bound
 * runs on a thread of its own: a worker whose timer still fires, says why the
 * process ends, and ends it by a way out that skips the flush: `_exit(2)`
 * with the exit code when FFI is allowed (`-A` or `--allow-ffi`), else
 * SIGKILL (exit 137; needs `--allow-run`). With neither, it only says so.
 *
 * @module
 */

/** Longest a stopped service's process may take to end, in milliseconds. */
export const EXIT_DEADLINE_MS = 5_000;

/** The line the process prints when the exporter's flush outlasted the deadline. */
export const EXIT_DEADLINE_LINE =
  `stemedb: stopped; exiting although the telemetry exporter did not flush within ${
    EXIT_DEADLINE_MS / 1000
  } s`;

/**
 * Call once the service is stopped and closed: ends the process now with
 * `code` (flushing telemetry as Deno does), or after {@linkcode EXIT_DEADLINE_MS}
 * if that flush blocks. Never returns.
 */
export function exitWithinDeadline(code: number): never {
  const granted = (name: "run" | "ffi") => Deno.permissions.querySync({ name }).state === "granted";
  const libc = { linux: "libc.so.6", darwin: "libSystem.B.dylib" }[Deno.build.os as string];
  // _exit(2) ends the process with `code` and runs no exit handler; else SIGKILL (exit 137).
  const end = libc !== undefined && granted("ffi")
    ? `Deno.dlopen(${JSON.stringify(libc)}, { _exit: { parameters: ["i32"], result: "void" } })` +
      `.symbols._exit(${code});`
    : granted("run")
    ? 'Deno.kill(Deno.pid, "SIGKILL");'
    : "";
  const source = `setTimeout(() => {
    console.error(${JSON.stringify(EXIT_DEADLINE_LINE)});
    ${end}
  }, ${EXIT_DEADLINE_MS});`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  new Worker(url, { type: "module" });
  Deno.exit(code);
}
