import assert from "node:assert/strict";
import {
  accessEnv,
  ConfigError,
  dataEnv,
  hostnameEnv,
  kvTimeoutEnv,
  portEnv,
  progressMsEnv,
} from "../../src/config/env.ts";
import { resolveConfig } from "../../src/config/data_dir.ts";

function env(vars: Record<string, string>) {
  return { get: (name: string) => vars[name] };
}

Deno.test("portEnv() prefers STEMEDB_PORT over PORT and is undefined when neither is set", () => {
  assert.equal(portEnv(env({ STEMEDB_PORT: "8080", PORT: "9090" })), 8080);
  assert.equal(portEnv(env({ PORT: "0" })), 0);
  assert.equal(portEnv(env({ STEMEDB_PORT: "", PORT: "9090" })), 9090, "empty counts as unset");
  assert.equal(portEnv(env({})), undefined);
});

Deno.test("portEnv() rejects a port outside 0 to 65535 with a ConfigError naming the variable", () => {
  for (const text of ["65536", "-1", "http", "1.5"]) {
    assert.throws(() => portEnv(env({ PORT: text })), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, "PORT");
      assert.match(error.message, new RegExp(`Invalid port "${text.replace(".", "\\.")}"`));
      return true;
    });
  }
});

Deno.test("accessEnv() reads the token and STEMEDB_PROTECT_READS as 1, true or yes", () => {
  assert.deepEqual(accessEnv(env({})), { token: undefined, protectReads: false });
  assert.deepEqual(accessEnv(env({ STEMEDB_TOKEN: "" })).token, undefined);
  for (const yes of ["1", "true", "YES"]) {
    assert.equal(accessEnv(env({ STEMEDB_PROTECT_READS: yes })).protectReads, true);
  }
  assert.equal(accessEnv(env({ STEMEDB_PROTECT_READS: "0" })).protectReads, false);
  assert.equal(accessEnv(env({ STEMEDB_TOKEN: "s3cret" })).token, "s3cret");
});

Deno.test("dataEnv() and hostnameEnv() read their variables, empty as unset", () => {
  assert.deepEqual(dataEnv(env({ STEMEDB_DATA: "/d", STEMEDB_KV: "" })), {
    data: "/d",
    kv: undefined,
  });
  assert.equal(hostnameEnv(env({ STEMEDB_HOSTNAME: "0.0.0.0" })), "0.0.0.0");
  assert.equal(hostnameEnv(env({})), undefined);
});

Deno.test("resolveConfig() takes flags over the environment over the defaults", () => {
  const vars = env({ STEMEDB_DATA: "/env", STEMEDB_KV: "/env/kv" });
  assert.deepEqual(resolveConfig({ data: "/flag" }, vars), {
    dataDir: "/flag",
    walDir: "/flag/wal",
    kv: "/env/kv",
  });
  assert.deepEqual(resolveConfig({}, env({}), "./data/demo"), {
    dataDir: "./data/demo",
    walDir: "data/demo/wal",
    kv: "data/demo/kv.sqlite",
  });
});

Deno.test("kvTimeoutEnv() reads STEMEDB_KV_TIMEOUT_MS, and resolveConfig() lets --kv-timeout beat it", () => {
  assert.equal(kvTimeoutEnv(env({})), undefined);
  assert.equal(kvTimeoutEnv(env({ STEMEDB_KV_TIMEOUT_MS: "2500" })), 2500);
  for (const text of ["0", "-5", "soon", "1.5"]) {
    assert.throws(() => kvTimeoutEnv(env({ STEMEDB_KV_TIMEOUT_MS: text })), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, "STEMEDB_KV_TIMEOUT_MS");
      return true;
    });
  }
  const vars = env({ STEMEDB_KV_TIMEOUT_MS: "2500" });
  assert.equal(resolveConfig({}, vars).kvTimeoutMs, 2500);
  assert.equal(resolveConfig({ kvTimeoutMs: 700 }, vars).kvTimeoutMs, 700);
  assert.equal("kvTimeoutMs" in resolveConfig({}, env({})), false, "unset: the store's default");
});

Deno.test("progressMsEnv() reads STEMEDB_PROGRESS_MS as milliseconds >= 0, empty as unset", () => {
  assert.equal(progressMsEnv(env({ STEMEDB_PROGRESS_MS: "0" })), 0);
  assert.equal(progressMsEnv(env({ STEMEDB_PROGRESS_MS: "250" })), 250);
  assert.equal(progressMsEnv(env({ STEMEDB_PROGRESS_MS: "" })), undefined);
  for (const text of ["-1", "1.5", "fast"]) {
    assert.throws(() => progressMsEnv(env({ STEMEDB_PROGRESS_MS: text })), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, "STEMEDB_PROGRESS_MS");
      return true;
    });
  }
});
