import assert from "node:assert/strict";
import { BLOCK, gzip, tar, type TarEntry } from "./tar.ts";

const text = (s: string) => new TextEncoder().encode(s);

async function hasTar(): Promise<boolean> {
  try {
    return (await new Deno.Command("tar", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

async function runTar(args: string[]): Promise<string> {
  const output = await new Deno.Command("tar", { args, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  assert.ok(output.success, `tar ${args.join(" ")}: ${decoder.decode(output.stderr)}`);
  return decoder.decode(output.stdout);
}

/** A file of every interesting size, and a name that needs the ustar prefix field. */
function sampleEntries(): TarEntry[] {
  const longDir = `agents/${"namespace-".repeat(8)}x`;
  return [
    { name: "empty.txt", data: new Uint8Array(0) },
    { name: "versions.json", data: text('{"tpx":"0.1.0"}\n') },
    { name: "block.bin", data: new Uint8Array(BLOCK).map((_, i) => i % 251) },
    {
      name: `${longDir}/${"pod-".repeat(20)}0.log`,
      data: text("line\n".repeat(300)),
      mode: 0o600,
      mtime: new Date("2026-01-02T03:04:05Z"),
    },
    { name: "ünïcode/日志.log", data: text("utf-8 names\n") },
  ];
}

Deno.test("tar() pads each file to 512-byte blocks and ends with two zero blocks", () => {
  const archive = tar([{ name: "a.txt", data: text("hello\n") }]);
  assert.equal(archive.length, 4 * BLOCK);
  assert.equal(new TextDecoder().decode(archive.subarray(0, 5)), "a.txt");
  assert.equal(new TextDecoder().decode(archive.subarray(257, 262)), "ustar");
  assert.ok(archive.subarray(2 * BLOCK).every((byte) => byte === 0));
});

Deno.test("tar() writes a header checksum that matches the header's bytes", () => {
  const block = tar([{ name: "a.txt", data: text("x") }]).subarray(0, BLOCK);
  const stored = parseInt(new TextDecoder().decode(block.subarray(148, 154)), 8);
  const copy = block.slice();
  copy.fill(0x20, 148, 156);
  assert.equal(stored, copy.reduce((sum, byte) => sum + byte, 0));
});

Deno.test("tar() refuses absolute names, '..' and names too long for ustar", () => {
  const data = new Uint8Array(0);
  assert.throws(() => tar([{ name: "/etc/passwd", data }]), RangeError);
  assert.throws(() => tar([{ name: "a/../b", data }]), RangeError);
  assert.throws(() => tar([{ name: "", data }]), RangeError);
  assert.throws(() => tar([{ name: "x".repeat(101), data }]), /too long/);
});

Deno.test("gzip() output starts with the gzip magic and decompresses to the input", async () => {
  const input = text("compress me ".repeat(100));
  const compressed = await gzip(input);
  assert.deepEqual([...compressed.subarray(0, 2)], [0x1f, 0x8b]);
  assert.ok(compressed.length < input.length);
  const back = new Blob([compressed as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  assert.deepEqual(new Uint8Array(await new Response(back).arrayBuffer()), input);
});

Deno.test({
  name: "a gzipped tar() archive lists and extracts with the system tar, byte for byte",
  ignore: !(await hasTar()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tpx-tar-" });
    try {
      const entries = sampleEntries();
      const file = `${dir}/test.tar.gz`;
      await Deno.writeFile(file, await gzip(tar(entries)));

      const listed = (await runTar(["-tzf", file])).split("\n").filter(Boolean);
      assert.deepEqual(listed, entries.map((e) => e.name));

      await Deno.mkdir(`${dir}/out`);
      await runTar(["-xzf", file, "-C", `${dir}/out`]);
      for (const entry of entries) {
        assert.deepEqual(await Deno.readFile(`${dir}/out/${entry.name}`), entry.data, entry.name);
      }
      const long = entries[3]!;
      const stat = await Deno.stat(`${dir}/out/${long.name}`);
      assert.equal(stat.mode! & 0o777, 0o600);
      assert.equal(stat.mtime?.toISOString(), "2026-01-02T03:04:05.000Z");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
