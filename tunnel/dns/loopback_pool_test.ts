import assert from "node:assert/strict";
import { TpxError } from "../protocol/errors.ts";
import { LoopbackPool, parseIPv4, parseLoopbackRange } from "./loopback_pool.ts";

Deno.test("LoopbackPool hands out 127.241.0.1 first by default", () => {
  const pool = new LoopbackPool();
  assert.equal(pool.address("web.shop.svc.cluster.local"), "127.241.0.1");
  assert.equal(pool.address("api.shop.svc.cluster.local"), "127.241.0.2");
  assert.equal(pool.size, 2);
});

Deno.test("LoopbackPool gives a name the same address every time, whatever its case", () => {
  const pool = new LoopbackPool();
  const first = pool.address("web.shop.svc.cluster.local");
  pool.address("api.shop.svc.cluster.local");
  assert.equal(pool.address("WEB.shop.svc.cluster.local."), first);
  assert.equal(pool.size, 2);
});

Deno.test("LoopbackPool knows the name behind each address it handed out", () => {
  const pool = new LoopbackPool();
  const address = pool.address("Web.Shop.svc.cluster.local");
  assert.equal(pool.reverse(address), "web.shop.svc.cluster.local");
  assert.equal(pool.reverse("127.241.0.99"), undefined);
  assert.equal(pool.reverse("127.0.0.1"), undefined);
});

Deno.test("LoopbackPool skips host parts .0 and .255", () => {
  const pool = new LoopbackPool("127.10.0.0/23");
  const addresses = Array.from({ length: 508 }, (_, i) => pool.address(`svc-${i}`));
  assert.equal(addresses[0], "127.10.0.1");
  assert.equal(addresses[253], "127.10.0.254");
  assert.equal(addresses[254], "127.10.1.1");
  assert.equal(addresses[507], "127.10.1.254");
  assert.ok(addresses.every((a) => !a.endsWith(".0") && !a.endsWith(".255")));
  assert.equal(new Set(addresses).size, 508);
});

Deno.test("LoopbackPool throws a config TpxError when the range is exhausted", () => {
  const pool = new LoopbackPool("127.0.0.0/30");
  assert.deepEqual([pool.address("a"), pool.address("b"), pool.address("c")], [
    "127.0.0.1",
    "127.0.0.2",
    "127.0.0.3",
  ]);
  assert.throws(() => pool.address("d"), (error: unknown) => {
    assert.ok(error instanceof TpxError);
    assert.equal(error.category, "config");
    assert.equal(error.code, "loopback_range_exhausted");
    assert.match(error.message, /^Loopback range "127\.0\.0\.0\/30" is exhausted: 3 services/);
    return true;
  });
  assert.equal(pool.address("a"), "127.0.0.1", "names already placed keep their address");
});

Deno.test("parseLoopbackRange aligns the base address to the prefix", () => {
  assert.deepEqual(parseLoopbackRange("127.241.7.9/16"), {
    first: parseIPv4("127.241.0.0"),
    last: parseIPv4("127.241.255.255"),
  });
});

for (const bad of ["10.0.0.0/16", "127.0.0.0/7", "127.0.0.0/32", "127.0.0/16", "127.0.0.0", "x"]) {
  Deno.test(`parseLoopbackRange rejects "${bad}" with a config TpxError`, () => {
    assert.throws(() => new LoopbackPool(bad), (error: unknown) => {
      assert.ok(error instanceof TpxError);
      assert.equal(error.code, "invalid_loopback_range");
      return true;
    });
  });
}

Deno.test("parseIPv4 reads dotted decimal and refuses anything else", () => {
  assert.equal(parseIPv4("127.0.0.1"), 0x7f000001);
  assert.equal(parseIPv4("255.255.255.255"), 0xffffffff);
  for (const bad of ["256.0.0.1", "1.2.3", "01.2.3.4", "1.2.3.4.5", "::1", ""]) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

Deno.test("LoopbackPool.reassign() gives a name the next free address and never reuses the old one", () => {
  const pool = new LoopbackPool("127.241.0.0/24");
  assert.equal(pool.address("web.shop"), "127.241.0.1");
  assert.equal(pool.reassign("web.shop"), "127.241.0.2");
  assert.equal(pool.address("web.shop"), "127.241.0.2");
  assert.equal(pool.address("db.shop"), "127.241.0.3");
});
