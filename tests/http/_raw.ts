/** Test helper: raw TCP clients that stall where a slow or hostile client would. */

const encoder = new TextEncoder();

/** Open a connection to `url`'s host and port and send `text` as is. */
export async function rawSend(url: string, text: string): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(encoder.encode(text));
  return conn;
}

/**
 * Read what the server sends until it closes the connection, `ms` pass, or
 * `enough` accepts the text: the text and whether the server closed.
 */
export async function readUntilClosed(
  conn: Deno.TcpConn,
  ms: number,
  enough: (text: string) => boolean = () => false,
): Promise<{ text: string; closed: boolean }> {
  const decoder = new TextDecoder();
  const buf = new Uint8Array(4096);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), ms));
  try {
    while (true) {
      const n = await Promise.race([conn.read(buf).catch(() => null), late]);
      if (n === "late") return { text, closed: false };
      if (n === null) return { text, closed: true };
      text += decoder.decode(buf.subarray(0, n));
      if (enough(text)) return { text, closed: false };
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Resident set size of process `pid`, in MiB (Linux). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Request head of a POST of `length` JSON bytes to `path`. */
export function postHead(path: string, length: number, extra = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${length}\r\n${extra}\r\n`;
}

/** Whether `text` holds a whole JSON error response (status line, headers, and the JSON object). */
export function answered(text: string): boolean {
  return /^HTTP\/1\.1 \d+[^]*\r\n\r\n[^]*\}\}$/.test(text);
}
