/**
 * Ending a TCP connection with a reset instead of an end, so that a relay passes a reset on as
 * a reset: a client of the agent's passthrough sees the app's RST, and a forwarded connection
 * whose target refused sees "connection reset", as if it had dialed the target itself.
 *
 * Deno's `TcpConn` cannot do this: it has no SO_LINGER, and `close()` shuts the write side
 * (a FIN) before it closes. On Linux the socket's descriptor is found through /proc (the inode
 * of the connection's address pair) and disconnected with `connect(AF_UNSPEC)` through libc,
 * which makes the kernel send an RST; then the connection is closed as usual. Elsewhere, or
 * when that fails, the connection is only closed, which is what the relays did before.
 *
 * Resets come in bursts (a tunnel that drops resets all its connections), so the ones asked
 * for in one turn of the event loop share one scan of /proc.
 *
 * @module
 */
import { closeQuietly } from "./close.ts";

/** libc's `connect`, or undefined where it cannot be loaded (not Linux, no glibc, no FFI). */
type Connect = (fd: number, address: Uint8Array<ArrayBuffer>, length: number) => number;

let connect: Connect | null | undefined;

function loadConnect(): Connect | null {
  if (connect !== undefined) return connect;
  connect = null;
  if (Deno.build.os !== "linux") return connect;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    });
    connect = (fd, address, length) => libc.symbols.connect(fd, address, length);
  } catch {
    // musl, no --allow-ffi: closing is the fallback.
  }
  return connect;
}

/** A sockaddr whose family is AF_UNSPEC (0): connecting to it disconnects a TCP socket. */
const UNSPEC = new Uint8Array(16);

let pending: Deno.TcpConn[] = [];

/**
 * Ends `conn` with a TCP reset where the platform allows it, else closes it. The connection is
 * closed in all cases, within this turn of the event loop or the next.
 *
 * @param conn the connection to end
 */
export function resetTcp(conn: Deno.TcpConn): void {
  if (loadConnect() === null) {
    closeQuietly(conn);
    return;
  }
  pending.push(conn);
  if (pending.length === 1) queueMicrotask(resetPending);
}

function resetPending(): void {
  const conns = pending;
  pending = [];
  const disconnect = loadConnect();
  try {
    if (disconnect) {
      const fds = descriptorsOf(conns);
      for (const fd of fds.values()) disconnect(fd, UNSPEC, UNSPEC.length);
    }
  } catch {
    // A /proc that cannot be read (a sandbox): these connections are only closed.
  } finally {
    for (const conn of conns) closeQuietly(conn);
  }
}

/** The descriptors of `conns`, found by their address pairs' inodes. */
function descriptorsOf(conns: readonly Deno.TcpConn[]): Map<Deno.TcpConn, number> {
  const inodes = new Map<string, Deno.TcpConn>();
  const wanted = new Map<string, Deno.TcpConn>();
  for (const conn of conns) {
    try {
      wanted.set(procAddressPair(conn.localAddr, conn.remoteAddr), conn);
    } catch {
      // Already closed: nothing to reset.
    }
  }
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readLines(table)) {
      const fields = line.trim().split(/\s+/);
      const conn = wanted.get(`${fields[1]} ${fields[2]}`);
      if (conn && fields[9]) inodes.set(`socket:[${fields[9]}]`, conn);
    }
  }
  const fds = new Map<Deno.TcpConn, number>();
  if (inodes.size === 0) return fds;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const conn = inodes.get(Deno.readLinkSync(`/proc/self/fd/${entry.name}`));
      if (conn) fds.set(conn, Number(entry.name));
    } catch {
      // The descriptor of the directory listing itself, or one closed meanwhile.
    }
  }
  return fds;
}

function readLines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").slice(1);
  } catch {
    return [];
  }
}

/**
 * The "local remote" pair as /proc/net/tcp{,6} writes it: each address in hex in host byte
 * order per 32-bit word, then the port in hex.
 *
 * @param local the connection's own address
 * @param remote its peer's
 * @returns e.g. `0100007F:1F90 0100007F:D431`
 */
export function procAddressPair(local: Deno.NetAddr, remote: Deno.NetAddr): string {
  return `${procAddress(local)} ${procAddress(remote)}`;
}

function procAddress(addr: Deno.NetAddr): string {
  const bytes = addressBytes(addr.hostname);
  let hex = "";
  for (let word = 0; word < bytes.length; word += 4) {
    for (let i = 3; i >= 0; i--) hex += hexByte(bytes[word + i] ?? 0);
  }
  return `${hex}:${addr.port.toString(16).toUpperCase().padStart(4, "0")}`;
}

function hexByte(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
}

/** IPv4 as 4 bytes; IPv6 (with an embedded IPv4 tail, as `::ffff:1.2.3.4`) as 16. */
function addressBytes(hostname: string): number[] {
  if (!hostname.includes(":")) return hostname.split(".").map(Number);
  let text = hostname.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${
      ((c << 8) | d).toString(16)
    }`;
  }
  const [head = "", tail = ""] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = text.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}
