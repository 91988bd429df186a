import assert from "node:assert/strict";
import { renderResolverFile } from "./macos_mode.ts";

Deno.test("renderResolverFile() names the stub's address and port as resolver(5) reads them", () => {
  const lines = renderResolverFile({ address: "127.0.0.1", port: 5353 }).split("\n");
  assert.ok(lines[0]!.startsWith("# Written by tpx"));
  assert.deepEqual(lines.slice(1), ["nameserver 127.0.0.1", "port 5353", ""]);
});
