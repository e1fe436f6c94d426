import assert from "node:assert/strict";
import { userProject } from "../support/user_project.ts";

const OPEN_STORE = `
import { KvStore, UnstableApiError } from "@stemedb/ingest/store";
try {
  (await KvStore.open("./kv.sqlite")).close();
  console.log("opened");
} catch (e) {
  console.log(JSON.stringify({ name: e.name, isUnstable: e instanceof UnstableApiError, feature: e.feature, message: e.message }));
}
`;

const SCHEDULE = `
import { Journal } from "@stemedb/ingest/wal";
import { KvStore } from "@stemedb/ingest/store";
import { scheduleIngest } from "@stemedb/ingest/ingest";
const journal = await Journal.open("./wal");
const store = await KvStore.open("./kv.sqlite");
try {
  await scheduleIngest(journal, store, "* * * * *").close();
  console.log("scheduled");
} catch (e) {
  console.log(JSON.stringify({ name: e.name, feature: e.feature, message: e.message }));
} finally {
  store.close();
  await journal.close();
}
`;

Deno.test("KvStore.open() without --unstable-kv names the flag and the deno.json setting", async () => {
  await using project = await userProject({ unstable: [] });
  const run = await project.run("open.ts", OPEN_STORE);
  assert.equal(run.code, 0, run.stderr);
  const error = JSON.parse(run.stdout);
  assert.equal(error.isUnstable, true);
  assert.equal(error.feature, "kv");
  assert.match(error.message, /--unstable-kv/);
  assert.match(error.message, /"unstable": \["kv", "cron"\]/);
  assert.doesNotMatch(error.message, /is not a function/);
});

Deno.test("KvStore.open() uncaught without --unstable-kv ends the program with the hint", async () => {
  await using project = await userProject({ unstable: [] });
  const run = await project.run(
    "open.ts",
    `
import { KvStore } from "@stemedb/ingest/store";
await KvStore.open("./kv.sqlite");
`,
  );
  assert.equal(run.code, 1);
  assert.match(run.stderr, /UnstableApiError: Cannot open store: .*--unstable-kv/);
});

Deno.test("scheduleIngest() without --unstable-cron names that flag", async () => {
  await using project = await userProject({ unstable: [] });
  const run = await project.run("schedule.ts", SCHEDULE, ["-A", "--unstable-kv"]);
  assert.equal(run.code, 0, run.stderr);
  const error = JSON.parse(run.stdout);
  assert.equal(error.name, "UnstableApiError");
  assert.equal(error.feature, "cron");
  assert.match(error.message, /Cannot schedule ingest: .*--unstable-cron/);
});

Deno.test('KvStore.open() and scheduleIngest() work with "unstable": ["kv", "cron"] in deno.json', async () => {
  await using project = await userProject({ unstable: ["kv", "cron"] });
  assert.equal((await project.run("open.ts", OPEN_STORE)).stdout.trim(), "opened");
  assert.equal((await project.run("schedule.ts", SCHEDULE)).stdout.trim(), "scheduled");
});

Deno.test("KvStore.open() and scheduleIngest() work with the --unstable-kv and --unstable-cron flags", async () => {
  await using project = await userProject({ unstable: [] });
  const flags = ["-A", "--unstable-kv", "--unstable-cron"];
  assert.equal((await project.run("open.ts", OPEN_STORE, flags)).stdout.trim(), "opened");
  assert.equal((await project.run("schedule.ts", SCHEDULE, flags)).stdout.trim(), "scheduled");
});
