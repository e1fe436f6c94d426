/**
 * A benchmark's server in a child process: spawned, asked where it listens
 * (read from what it prints when it starts), its output drained from then on
 * so that it never blocks on a full pipe, and stopped with SIGTERM.
 *
 * @module
 */

/** A server child: where it listens, its pid, and how to stop it. */
export interface ChildServer {
  /** `http://host:port` it listens on. */
  url: string;
  /** The child's process id. */
  pid: number;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startChild}. */
export interface ChildServerOptions {
  /** Arguments of `deno`. */
  args: string[];
  /** Environment added to this process's. */
  env?: Record<string, string>;
  /**
   * How the child says where it listens: a JSON document with `port` on
   * stdout (`stemedb serve --json`, the benches' own children), or
   * `Listening on http://…` on stderr (`deno serve`).
   */
  announces: "json-stdout" | "listening-stderr";
  /** Drop the other stream instead of passing it to this process's. @default false */
  quiet?: boolean;
}

/** Start the child and resolve once it has said where it listens. */
export async function startChild(options: ChildServerOptions): Promise<ChildServer> {
  const json = options.announces === "json-stdout";
  const other = options.quiet ? "null" : "inherit";
  const child = new Deno.Command(Deno.execPath(), {
    args: options.args,
    env: { ...options.env, NO_COLOR: "1" },
    stdout: json ? "piped" : other,
    stderr: json ? other : "piped",
  }).spawn();
  const reader = (json ? child.stdout : child.stderr).pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Cannot start server ${options.args.join(" ")}: it exited\n${text}`);
    text += value;
    url = json ? portUrl(text) : /Listening on (http:\/\/[^\s/]+)/.exec(text)?.[1];
  }
  const drained = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drained.catch(() => {});
    },
  };
}

/** The URL of the first JSON document's `port`, once the document is whole (it may span lines). */
function portUrl(text: string): string | undefined {
  try {
    const port = JSON.parse(text).port;
    return port === undefined ? undefined : `http://127.0.0.1:${port}`;
  } catch {
    return undefined;
  }
}
