import assert from "node:assert/strict";
import { arr, bool, type Infer, int, obj, oneOf, opt, record, str } from "./schema.ts";

Deno.test("str() accepts strings up to its length and names the path otherwise", () => {
  const s = str(3);
  assert.equal(s.check("abc", "m.f"), undefined);
  assert.equal(s.check("", "m.f"), undefined);
  assert.equal(s.check("abcd", "m.f"), "m.f is longer than 3 characters");
  assert.equal(s.check(1, "m.f"), "m.f must be a string");
  assert.equal(s.check(null, "m.f"), "m.f must be a string");
});

Deno.test("int() accepts integers in range only", () => {
  const i = int(1, 10);
  for (const ok of [1, 5, 10]) assert.equal(i.check(ok, "n"), undefined);
  for (const bad of [0, 11, 1.5, -1, Number.NaN, Infinity, "5", null, undefined]) {
    assert.equal(i.check(bad, "n"), "n must be an integer from 1 to 10", String(bad));
  }
  assert.equal(
    int().check(Number.MAX_SAFE_INTEGER + 1, "n"),
    `n must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
  );
});

Deno.test("bool() accepts booleans only", () => {
  assert.equal(bool().check(false, "b"), undefined);
  assert.equal(bool().check(0, "b"), "b must be a boolean");
  assert.equal(bool().check("true", "b"), "b must be a boolean");
});

Deno.test("oneOf() accepts the listed strings only", () => {
  const o = oneOf("a", "b");
  assert.equal(o.check("b", "k"), undefined);
  assert.equal(o.check("c", "k"), 'k must be one of "a", "b"');
  assert.equal(o.check(["a"], "k"), 'k must be one of "a", "b"');
});

Deno.test("arr() checks its length and names the failing index", () => {
  const a = arr(int(), 2);
  assert.equal(a.check([], "xs"), undefined);
  assert.equal(a.check([1, 2], "xs"), undefined);
  assert.equal(a.check([1, 2, 3], "xs"), "xs has more than 2 items");
  assert.equal(a.check([1, "2"], "xs"), "xs[1] must be an integer from 0 to 9007199254740991");
  assert.equal(a.check({ length: 0 }, "xs"), "xs must be an array");
});

Deno.test("record() checks every value and names the failing key", () => {
  const r = record(str(2), 2);
  assert.equal(r.check({ a: "x", b: "yy" }, "env"), undefined);
  assert.equal(r.check({ a: "x", b: 2 }, "env"), "env.b must be a string");
  assert.equal(r.check({ a: "", b: "", c: "" }, "env"), "env has more than 2 keys");
  assert.equal(r.check([], "env"), "env must be an object");
  assert.equal(r.check(null, "env"), "env must be an object");
});

Deno.test("opt() accepts an absent field but not null", () => {
  const o = opt(str());
  assert.equal(o.check(undefined, "f"), undefined);
  assert.equal(o.check("x", "f"), undefined);
  assert.equal(o.check(null, "f"), "f must be a string");
});

Deno.test("obj() checks its fields in order and names the first failing one", () => {
  const o = obj({ a: int(), b: obj({ c: str(1) }), d: opt(bool()) });
  assert.equal(o.check({ a: 1, b: { c: "x" } }, "m"), undefined);
  assert.equal(
    o.check({ b: { c: "x" } }, "m"),
    "m.a must be an integer from 0 to 9007199254740991",
  );
  assert.equal(o.check({ a: 1, b: { c: "xy" } }, "m"), "m.b.c is longer than 1 characters");
  assert.equal(o.check({ a: 1, b: { c: "x" }, d: 1 }, "m"), "m.d must be a boolean");
  assert.equal(o.check([], "m"), "m must be an object");
  assert.equal(o.check(null, "m"), "m must be an object");
});

Deno.test("obj() accepts unknown fields", () => {
  assert.equal(obj({ a: int() }).check({ a: 1, later: { anything: true } }, "m"), undefined);
});

Deno.test("obj() does not take a field from the object's prototype", () => {
  const o = obj({ toString: opt(str()), constructor: opt(int()) });
  assert.equal(o.check(JSON.parse("{}"), "m"), undefined);
  assert.equal(o.check({ toString: 1 }, "m"), "m.toString must be a string");
});

Deno.test("Infer gives optional fields as optional properties", () => {
  const schema = obj({ a: int(), b: opt(str()) });
  const value: Infer<typeof schema> = { a: 1 };
  assert.equal(schema.check(value, "m"), undefined);
});
