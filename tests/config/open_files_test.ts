import assert from "node:assert/strict";
import {
  defaultMaxConnections,
  openFileLimit,
  parseOpenFileLimit,
  RESERVED_FILES,
} from "../../src/config/open_files.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

Deno.test("parseOpenFileLimit() reads the soft open-file limit of /proc/self/limits", () => {
  assert.equal(parseOpenFileLimit(LIMITS), 1024);
  assert.equal(
    parseOpenFileLimit(LIMITS.replace("1024                 524288", "unlimited   unlimited")),
    undefined,
  );
  assert.equal(parseOpenFileLimit("not the limits file"), undefined);
});

Deno.test("openFileLimit() on Linux is this process's soft limit", () => {
  if (Deno.build.os !== "linux") return;
  const limit = openFileLimit();
  assert.ok(limit !== undefined && limit >= 1, `read ${limit}`);
  assert.equal(limit, parseOpenFileLimit(Deno.readTextFileSync("/proc/self/limits")));
});

Deno.test("defaultMaxConnections() is the limit less the service's own files", () => {
  assert.equal(defaultMaxConnections(1024), 1024 - RESERVED_FILES);
  assert.equal(defaultMaxConnections(100), 16, "never below a usable floor");
  assert.equal(defaultMaxConnections(undefined), undefined, "no cap when the limit is unknown");
});
