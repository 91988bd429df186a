import assert from "node:assert/strict";
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, TPX_VERSION } from "./version.ts";

Deno.test("TPX_VERSION equals the version in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(TPX_VERSION, config.version);
});

Deno.test("the protocol range is a valid hello range", () => {
  assert.ok(Number.isInteger(MIN_PROTOCOL_VERSION) && MIN_PROTOCOL_VERSION >= 1);
  assert.ok(Number.isInteger(PROTOCOL_VERSION) && PROTOCOL_VERSION <= 0xffff);
  assert.ok(MIN_PROTOCOL_VERSION <= PROTOCOL_VERSION);
});
