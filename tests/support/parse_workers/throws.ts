/** A parse worker that fails on its first batch (tests of the pool's fallback). @module */
import { parentPort } from "node:worker_threads";

parentPort!.on("message", () => {
  throw new Error("Cannot parse: this worker always fails");
});
