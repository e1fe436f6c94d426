/**
 * For `serve --workers N` only: one worker thread of the service. It opens
 * the service as `stemedb serve` does (`openServed()`: it claims the first
 * free journal shard, exactly as the `deno serve` entry does), listens with
 * `listen()` on the port its siblings share (`SO_REUSEPORT`: the kernel
 * spreads connections between the threads), and on `stop` stops the
 * listener, then closes the service, and says so. The thread owns nothing
 * of the process: signals and the exit are the command's.
 *
 * @module
 */

import type { ListenerThreadMessage, ListenerThreadReport } from "./_listener_threads.ts";
import { listen } from "./node_listener.ts";
import { openServed } from "./served.ts";

const thread = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ListenerThreadMessage>) => void) | null;
  postMessage(report: ListenerThreadReport): void;
  close(): void;
};

let stop: (() => Promise<void>) | null = null;

async function start(message: Extract<ListenerThreadMessage, { kind: "start" }>): Promise<void> {
  const served = await openServed(message.config, message.settings);
  try {
    const listener = await listen(served.app, { ...message.listen, reusePort: true });
    stop = async () => {
      await listener.stop();
      await served.close();
    };
    thread.postMessage({ kind: "listening", addr: listener.addr, journal: served.journal });
  } catch (error) {
    await served.close();
    throw error;
  }
}

thread.onmessage = (event) => {
  const message = event.data;
  if (message.kind === "start") {
    start(message).catch((error) => {
      const addrInUse = error instanceof Deno.errors.AddrInUse;
      thread.postMessage({ kind: "failed", message: String(error?.message ?? error), addrInUse });
    });
  } else {
    (stop ?? (() => Promise.resolve()))().then(
      () => thread.postMessage({ kind: "closed" }),
      (error) => thread.postMessage({ kind: "failed", message: String(error), addrInUse: false }),
    );
  }
};

// Messages the command posts before this module is evaluated may be lost (measured: a start posted
// at once went unanswered now and then on a loaded machine): the command waits for this first.
thread.postMessage({ kind: "ready" });
