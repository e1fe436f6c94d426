/**
 * Test helper: a temporary project that uses this checkout as a user would,
 * importing `@stemedb/ingest/<sub>` through an import map in its own
 * deno.json (every export and npm import of the repository's deno.json),
 * run with `deno run` in a child process.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** Options of {@linkcode userProject}. */
export interface UserProjectOptions {
  /**
   * The project's deno.json `"unstable"` list.
   * @default {["kv", "cron"]}
   */
  unstable?: string[];
  /**
   * The project's whole deno.json instead (then `unstable` is ignored).
   * @default {undefined} (every export and npm import, and `unstable`)
   */
  config?: Record<string, unknown>;
}

/** What a child run printed. */
export interface UserRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary project directory; dispose to remove it. */
export interface UserProject extends AsyncDisposable {
  /** The project directory (the child's working directory). */
  dir: string;
  /** Write `code` to `<dir>/<file>` and `deno run` it with `flags` (default `-A`). */
  run(file: string, code: string, flags?: string[]): Promise<UserRun>;
}

/** Create a temporary project importing this checkout as `@stemedb/ingest`. */
export async function userProject(options: UserProjectOptions = {}): Promise<UserProject> {
  const repo = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const imports: Record<string, string> = { ...repo.imports };
  for (const [sub, path] of Object.entries(repo.exports as Record<string, string>)) {
    imports[sub === "." ? repo.name : `${repo.name}/${sub.slice(2)}`] = new URL(path, ROOT).href;
  }
  const dir = await Deno.makeTempDir({ prefix: "stemedb-user-" });
  const unstable = options.unstable ?? ["kv", "cron"];
  const config = options.config ?? (unstable.length === 0 ? { imports } : { imports, unstable });
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(config, null, 2));
  const decoder = new TextDecoder();
  return {
    dir,
    async run(file, code, flags = ["-A"]) {
      await Deno.writeTextFile(`${dir}/${file}`, code);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags, "--config", `${dir}/deno.json`, `${dir}/${file}`],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdin: "null",
      }).output();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      };
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
