import assert from "node:assert/strict";
import { renderDropIn } from "./resolved_mode.ts";

function body(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

Deno.test("renderDropIn() routes each name to the stub's address and port", () => {
  assert.deepEqual(
    body(renderDropIn({ address: "127.0.0.1", port: 5353 }, ["cluster.local", "shop"])),
    [
      "[Resolve]",
      "DNS=127.0.0.1:5353",
      "Domains=~cluster.local ~shop",
    ],
  );
});

Deno.test("renderDropIn() brackets an IPv6 address that carries a port", () => {
  assert.equal(body(renderDropIn({ address: "::1", port: 5353 }, ["shop"]))[1], "DNS=[::1]:5353");
});

Deno.test("renderDropIn() leaves out port 53, which every systemd understands", () => {
  assert.equal(
    body(renderDropIn({ address: "127.0.0.1", port: 53 }, ["shop"]))[1],
    "DNS=127.0.0.1",
  );
});
