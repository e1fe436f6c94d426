import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/env.ts";
import { serviceEnv, type ServiceEnvSettings } from "../../src/config/service_env.ts";

function env(vars: Record<string, string>) {
  return { get: (name: string) => vars[name] };
}

/** Every setting away from its default, so a setting that is not carried shows. */
const EVERY: Required<ServiceEnvSettings> = {
  data: "/srv/stemedb",
  kv: "https://kv.example/db",
  kvTimeoutMs: 1234,
  token: "s3cret",
  protectReads: true,
  readOnly: true,
  retention: { retainMs: 7 * 86_400_000 },
  segmentBytes: 65_536,
  maxBodyBytes: 2048,
  bodyTimeoutMs: 300,
  headerTimeoutMs: 700,
  maxConnections: 900,
  maxInflightWrites: 3,
  maxLagRecords: 500,
};

/** The variables that say EVERY. */
const EVERY_VARS: Record<string, string> = {
  STEMEDB_DATA: "/srv/stemedb",
  STEMEDB_KV: "https://kv.example/db",
  STEMEDB_KV_TIMEOUT_MS: "1234",
  STEMEDB_TOKEN: "s3cret",
  STEMEDB_PROTECT_READS: "1",
  STEMEDB_READ_ONLY: "1",
  STEMEDB_RETENTION: "7d",
  STEMEDB_SEGMENT_BYTES: "65536",
  STEMEDB_MAX_BODY: "2048",
  STEMEDB_BODY_TIMEOUT_MS: "300",
  STEMEDB_HEADER_TIMEOUT_MS: "700",
  STEMEDB_MAX_CONNECTIONS: "900",
  STEMEDB_MAX_INFLIGHT_WRITES: "3",
  STEMEDB_MAX_LAG: "500",
};

Deno.test("serviceEnv() reads every service setting from its variable", () => {
  assert.deepEqual(serviceEnv(env(EVERY_VARS)), EVERY);
  const sized = serviceEnv(env({ ...EVERY_VARS, STEMEDB_RETENTION: "1GiB" }));
  assert.deepEqual(sized.retention, { retainBytes: 1 << 30 });
});

Deno.test("serviceEnv() leaves every setting unset when its variable is unset or empty", () => {
  const empty = Object.fromEntries(Object.keys(EVERY_VARS).map((name) => [name, ""]));
  for (const vars of [{}, empty]) {
    assert.deepEqual(serviceEnv(env(vars)), {
      ...Object.fromEntries(Object.keys(EVERY).map((key) => [key, undefined])),
      protectReads: false,
      readOnly: false,
    });
  }
});

Deno.test("serviceEnv() rejects a body or header timeout or in-flight cap below 1 with a ConfigError naming the variable", () => {
  const variables = [
    "STEMEDB_BODY_TIMEOUT_MS",
    "STEMEDB_HEADER_TIMEOUT_MS",
    "STEMEDB_MAX_INFLIGHT_WRITES",
  ];
  for (const variable of variables) {
    assert.throws(() => serviceEnv(env({ [variable]: "0" })), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, variable);
      assert.match(error.message, new RegExp(`Invalid ${variable} "0"`));
      return true;
    });
  }
});
