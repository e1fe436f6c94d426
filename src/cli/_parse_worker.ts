/**
 * A worker of `append`'s parse pool (`_parse_pool.ts`): parses each batch of
 * lines it is sent and posts the packed outcomes back, the payload buffer
 * transferred.
 *
 * @module
 */

import { parentPort } from "node:worker_threads";
import { packTexts } from "./_parse_texts.ts";

parentPort!.on("message", (job: { id: number; texts: string[] }) => {
  const packed = packTexts(job.texts);
  parentPort!.postMessage({ id: job.id, packed }, [packed.bytes]);
});
