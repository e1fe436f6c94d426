/**
 * Child-process helpers for the ingestor tests: spawn a script of this folder
 * with the current Deno, and read its stdout line by line.
 *
 * @module
 */

/** Spawn `tests/ingest/<script>` with `args`; stdout piped, stderr inherited. */
export function spawnChild(script: string, args: string[]): Deno.ChildProcess {
  const path = new URL(script, import.meta.url).pathname;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", path, ...args],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
}

/** Lines of a byte stream, without their line ends. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  if (rest.length > 0) yield rest;
}
