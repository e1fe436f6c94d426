/**
 * For the `deno serve` entry only: the other workers of this process.
 *
 * `deno serve --parallel` runs its workers as threads of one process, and a
 * way out of the process from one of them (`Deno.exit()`, the exit deadline)
 * ends them all. A worker that has closed its shard must therefore not end
 * the process while another is still draining its requests and applying the
 * rest of its journal. Workers announce themselves and their close over a
 * `BroadcastChannel` (shared by the threads of one process, nothing else).
 *
 * @module
 */

const CHANNEL = "stemedb-serve-workers";

type Message = { kind: "hello" | "here" | "closed"; id: string };

/** This worker's view of its siblings in the process. */
export interface SiblingWorkers {
  /**
   * Say this worker has closed, then wait until every sibling it knows of
   * has closed too, or `timeoutMs` has passed. Closes the channel.
   */
  closedAndWait(timeoutMs: number): Promise<void>;
}

/** Join the process's workers; call once at start. */
export function joinSiblingWorkers(): SiblingWorkers {
  const id = crypto.randomUUID();
  const channel = new BroadcastChannel(CHANNEL);
  const open = new Set<string>();
  let closed = false;
  let changed = () => {};
  const post = (kind: Message["kind"]) => channel.postMessage({ kind, id } satisfies Message);
  channel.onmessage = (event: MessageEvent<Message>) => {
    const { kind, id: from } = event.data;
    if (kind === "closed") open.delete(from);
    else open.add(from);
    // A worker that starts late learns of this one, and whether it has closed.
    if (kind === "hello") post(closed ? "closed" : "here");
    changed();
  };
  post("hello");
  return {
    async closedAndWait(timeoutMs) {
      closed = true;
      post("closed");
      const deadline = Date.now() + timeoutMs;
      while (open.size > 0 && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
          changed = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      channel.close();
    },
  };
}
