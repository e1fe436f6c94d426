/** A parse worker that takes batches and never answers (tests of the pool's deadline). @module */
import { parentPort } from "node:worker_threads";

parentPort!.on("message", () => {});
