/**
 * A minimal writer of ustar archives (POSIX.1-1988), gzipped with the platform's
 * `CompressionStream`: enough for `tpx gather-logs` to produce one file any `tar` reads,
 * without a package. Regular files only; no directories, links or extended headers.
 *
 * @example
 * ```ts
 * const bytes = await gzip(tar([{ name: "a/b.txt", data: new TextEncoder().encode("hi\n") }]));
 * await Deno.writeFile("logs.tar.gz", bytes);
 * ```
 *
 * @module
 */

/** The unit of a tar archive: headers and data are padded to it. */
export const BLOCK = 512;

/** One file of an archive. */
export interface TarEntry {
  /** The path inside the archive, `/`-separated, relative. */
  name: string;
  data: Uint8Array;
  /** Default `0o644`. */
  mode?: number;
  /** Modification time; default the Unix epoch, so that archives are reproducible. */
  mtime?: Date;
}

const encoder = new TextEncoder();

/**
 * The archive of `entries`, in their order, ended by two zero blocks.
 *
 * @param entries the files
 * @returns the uncompressed archive
 * @throws {RangeError} for a name that ustar cannot hold (empty, absolute, `..`, too long)
 * @example
 * ```ts
 * const archive = tar([{ name: "hello.txt", data: new TextEncoder().encode("hello\n") }]);
 * archive.length; // 2048: a header, one data block, two end blocks
 * ```
 */
export function tar(entries: readonly TarEntry[]): Uint8Array {
  const size = entries.reduce((sum, e) => sum + BLOCK + padded(e.data.length), 2 * BLOCK);
  const out = new Uint8Array(size);
  let at = 0;
  for (const entry of entries) {
    out.set(header(entry), at);
    at += BLOCK;
    out.set(entry.data, at);
    at += padded(entry.data.length);
  }
  return out; // The rest, two end blocks included, is already zero.
}

/**
 * Gzips `bytes`.
 *
 * @param bytes the data
 * @returns the gzip stream's bytes
 */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function padded(length: number): number {
  return Math.ceil(length / BLOCK) * BLOCK;
}

/** The 512-byte ustar header of `entry`. */
function header(entry: TarEntry): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const { name, prefix } = splitName(entry.name);
  block.set(name, 0);
  octal(block, 100, 8, entry.mode ?? 0o644);
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, entry.data.length);
  octal(block, 136, 12, Math.floor((entry.mtime?.getTime() ?? 0) / 1000));
  block[156] = "0".charCodeAt(0); // a regular file
  block.set(encoder.encode("ustar\0"), 257);
  block.set(encoder.encode("00"), 263);
  block.set(prefix, 345);
  // The checksum is summed with its own field read as spaces.
  block.fill(0x20, 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  octal(block, 148, 7, sum); // six digits and a NUL; the eighth byte stays a space
  return block;
}

/** Writes `value` as zero-padded octal digits and a NUL into `width` bytes at `offset`. */
function octal(block: Uint8Array, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, "0");
  if (digits.length > width - 1) throw new RangeError(`${value} does not fit a tar header`);
  block.set(encoder.encode(`${digits}\0`), offset);
}

/** A name of up to 100 bytes, or a prefix of up to 155 and a name, split at a `/`. */
function splitName(path: string): { name: Uint8Array; prefix: Uint8Array } {
  const parts = path.split("/");
  if (path === "" || path.startsWith("/") || parts.some((p) => p === ".." || p === "")) {
    throw new RangeError(`"${path}" is not a relative path without ".." for a tar archive`);
  }
  const whole = encoder.encode(path);
  if (whole.length <= 100) return { name: whole, prefix: new Uint8Array(0) };
  for (let cut = 1; cut < parts.length; cut++) {
    const prefix = encoder.encode(parts.slice(0, cut).join("/"));
    const name = encoder.encode(parts.slice(cut).join("/"));
    if (prefix.length <= 155 && name.length <= 100) return { name, prefix };
  }
  throw new RangeError(`"${path}" is too long for a tar archive`);
}
