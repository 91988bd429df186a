/**
 * Reads a `.tar.gz` written by `tar.ts` back into names and texts, for tests that check an
 * archive's contents without depending on a `tar` binary.
 *
 * @module
 */
import { BLOCK } from "./tar.ts";

/**
 * The files of a gzipped ustar archive.
 *
 * @param path the archive
 * @returns each file's text by name, in archive order
 */
export async function readTarGz(path: string): Promise<Map<string, string>> {
  const compressed = await Deno.readFile(path);
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip"));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  const decoder = new TextDecoder();
  const field = (at: number, length: number) =>
    decoder.decode(bytes.subarray(at, at + length)).replace(/\0.*$/s, "");
  const files = new Map<string, string>();
  let at = 0;
  while (at + BLOCK <= bytes.length && bytes[at] !== 0) {
    const prefix = field(at + 345, 155);
    const name = field(at, 100);
    const size = parseInt(field(at + 124, 12), 8);
    const data = bytes.subarray(at + BLOCK, at + BLOCK + size);
    files.set(prefix ? `${prefix}/${name}` : name, decoder.decode(data));
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
