/**
 * The load of the cluster benchmarks: an HTTP upload to the echo app's `/sink` and a download
 * from its `/bytes`, over a plain TCP connection to a local port (tpx's forwarder or kubectl's),
 * so that both paths see the very same client.
 *
 * @module
 */

const BLOCK = 256 * 1024;

/** One transfer's result. */
export interface Transfer {
  bytes: number;
  seconds: number;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let written = 0; written < data.length;) written += await conn.write(data.subarray(written));
}

/** Reads a whole `Connection: close` response; returns its head and the body's length. */
async function readResponse(conn: Deno.Conn, keepBody: boolean) {
  const buffer = new Uint8Array(BLOCK);
  let head = "";
  let headDone = false;
  let body = 0;
  let text = "";
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    let chunk = buffer.subarray(0, n);
    if (!headDone) {
      head += new TextDecoder("latin1").decode(chunk);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) continue;
      headDone = true;
      chunk = chunk.subarray(chunk.length - (head.length - end - 4));
      head = head.slice(0, end);
    }
    body += chunk.length;
    if (keepBody) text += new TextDecoder().decode(chunk);
  }
  if (!head.startsWith("HTTP/1.1 200")) throw new Error(`the echo app answered: ${head}`);
  return { body, text };
}

function request(line: string, extra = ""): Uint8Array {
  return new TextEncoder().encode(
    `${line} HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n${extra}\r\n`,
  );
}

/**
 * POSTs `bytes` to `/sink` through `port` and checks the count the app answers.
 *
 * @param port the local port that reaches the echo app
 * @param bytes how many
 * @returns the time from the first byte sent to the answer
 */
export async function upload(port: number, bytes: number): Promise<Transfer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const block = new Uint8Array(BLOCK).fill(0x5a);
    const start = performance.now();
    await writeAll(conn, request("POST /sink", `Content-Length: ${bytes}\r\n`));
    for (let sent = 0; sent < bytes; sent += block.length) {
      await writeAll(conn, block.subarray(0, Math.min(block.length, bytes - sent)));
    }
    const { text } = await readResponse(conn, true);
    const seconds = (performance.now() - start) / 1000;
    const counted = (JSON.parse(text) as { bytes: number }).bytes;
    if (counted !== bytes) throw new Error(`the sink counted ${counted} of ${bytes} bytes`);
    return { bytes, seconds };
  } finally {
    conn.close();
  }
}

/**
 * GETs `bytes` from `/bytes` through `port`.
 *
 * @param port the local port that reaches the echo app
 * @param bytes how many
 * @returns the time from the request to the last byte
 */
export async function download(port: number, bytes: number): Promise<Transfer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const start = performance.now();
    await writeAll(conn, request(`GET /bytes?n=${bytes}&seed=1`));
    const { body } = await readResponse(conn, false);
    const seconds = (performance.now() - start) / 1000;
    if (body !== bytes) throw new Error(`received ${body} of ${bytes} bytes`);
    return { bytes, seconds };
  } finally {
    conn.close();
  }
}
