/**
 * The KV Connect test server: the stand-in for Deno Deploy / denokv in
 * tests. See `README.md` beside this file.
 *
 * @module
 */

export {
  DEFAULT_TOKEN,
  type KvConnectServer,
  type KvConnectServerOptions,
  type KvConnectStats,
  MIN_METADATA_TTL_MS,
  PROTOCOL_VERSIONS,
  startKvConnectServer,
} from "./server.ts";
export {
  type FaultKind,
  type FaultRule,
  type KvConnectFaults,
  type KvConnectOperation,
  seededRandom,
} from "./faults.ts";
export { openRemoteKv, waitFor } from "./remote_client.ts";
export {
  KV_BACKENDS,
  type KvBackend,
  type KvFixture,
  type KvTarget,
  openKvFixture,
  TEST_BACKEND_VARIABLE,
  testKvBackend,
  withKvBackend,
} from "./backend.ts";
