import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/env.ts";
import {
  serviceEnv,
  type ServiceEnvSettings,
  serviceEnvVars,
} from "../../src/config/service_env.ts";

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

Deno.test("serviceEnv() reads back every setting serviceEnvVars() writes", () => {
  assert.deepEqual(serviceEnv(env(serviceEnvVars(EVERY))), EVERY);
  const sized = { ...EVERY, retention: { retainBytes: 1 << 30 } };
  assert.deepEqual(serviceEnv(env(serviceEnvVars(sized))), sized);
});

Deno.test("serviceEnvVars() writes every variable, unset settings as empty, so inherited values cannot leak", () => {
  const vars = serviceEnvVars({ protectReads: false, readOnly: false });
  assert.equal(Object.keys(vars).length, Object.keys(EVERY).length);
  assert.ok(Object.values(vars).every((value) => value === ""));
  const inherited = env({ STEMEDB_MAX_LAG: "10", STEMEDB_TOKEN: "old", ...vars });
  assert.deepEqual(serviceEnv(inherited), {
    ...Object.fromEntries(Object.keys(EVERY).map((key) => [key, undefined])),
    protectReads: false,
    readOnly: false,
  });
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
