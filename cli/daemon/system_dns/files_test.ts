import assert from "node:assert/strict";
import { fakeMachine } from "./_testing.ts";
import { replaceFile, sameSnapshot, snapshotFile, writeSnapshot } from "./files.ts";

Deno.test("writeSnapshot() puts back the same bytes and mode", async () => {
  await using machine = await fakeMachine();
  const path = `${machine.root}/etc/file`;
  const bytes = new Uint8Array([0, 255, 10, 13, 35, 0x80, 32]);
  await Deno.writeFile(path, bytes);
  await Deno.chmod(path, 0o640);
  const snapshot = await snapshotFile(path);
  await Deno.writeTextFile(path, "something else\n");
  await Deno.chmod(path, 0o644);

  await writeSnapshot(path, snapshot);

  assert.deepEqual(await Deno.readFile(path), bytes);
  assert.equal((await Deno.stat(path)).mode! & 0o7777, 0o640);
});

Deno.test("writeSnapshot() recreates a symlink with its target", async () => {
  await using machine = await fakeMachine();
  const path = `${machine.root}/etc/link`;
  await Deno.symlink("../run/target", path);
  const snapshot = await snapshotFile(path);
  await Deno.remove(path);
  await Deno.writeTextFile(path, "a file now\n");

  await writeSnapshot(path, snapshot);

  assert.equal((await Deno.lstat(path)).isSymlink, true);
  assert.equal(await Deno.readLink(path), "../run/target");
});

Deno.test("writeSnapshot() of an absent file removes the file", async () => {
  await using machine = await fakeMachine();
  const path = `${machine.root}/etc/gone`;
  const snapshot = await snapshotFile(path);
  await Deno.writeTextFile(path, "new\n");

  await writeSnapshot(path, snapshot);

  assert.deepEqual(await snapshotFile(path), { type: "absent" });
});

Deno.test("replaceFile() replaces a symlink instead of writing through it", async () => {
  await using machine = await fakeMachine();
  const target = `${machine.root}/run/target`;
  const path = `${machine.root}/etc/link`;
  await Deno.writeTextFile(target, "owned by someone else\n");
  await Deno.symlink(target, path);

  await replaceFile(path, new TextEncoder().encode("tpx\n"), 0o644);

  assert.equal((await Deno.lstat(path)).isSymlink, false);
  assert.equal(await Deno.readTextFile(path), "tpx\n");
  assert.equal(await Deno.readTextFile(target), "owned by someone else\n");
});

Deno.test("replaceFile() gives the file exactly the mode asked, whatever the umask", async () => {
  await using machine = await fakeMachine();
  const path = `${machine.root}/etc/file`;
  await replaceFile(path, new TextEncoder().encode("x"), 0o666);
  assert.equal((await Deno.stat(path)).mode! & 0o7777, 0o666);
});

Deno.test("sameSnapshot() tells files by content and symlinks by target", async () => {
  await using machine = await fakeMachine();
  const a = `${machine.root}/etc/a`;
  const b = `${machine.root}/etc/b`;
  await Deno.writeTextFile(a, "same\n");
  await Deno.writeTextFile(b, "same\n");
  assert.equal(sameSnapshot(await snapshotFile(a), await snapshotFile(b)), true);
  await Deno.writeTextFile(b, "other\n");
  assert.equal(sameSnapshot(await snapshotFile(a), await snapshotFile(b)), false);
  assert.equal(
    sameSnapshot({ type: "symlink", target: "x" }, { type: "symlink", target: "y" }),
    false,
  );
  assert.equal(sameSnapshot({ type: "absent" }, await snapshotFile(a)), false);
});
