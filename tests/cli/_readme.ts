/**
 * Shared by the tests that run the README on a clean clone: `git`, and the
 * shell blocks of one README section.
 */

import assert from "node:assert/strict";

const decoder = new TextDecoder();

/** Run `git args` in `cwd`; its trimmed stdout, or an error with its stderr. */
export async function git(args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`git ${args.join(" ")} failed: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout).trim();
}

/** The ```sh blocks of the README section headed `## <title>`. */
export function sectionShellBlocks(readme: string, title: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith(title));
  assert.ok(section, `README has a "${title}" section`);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}
