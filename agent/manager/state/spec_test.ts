import assert from "node:assert/strict";
import { TpxError } from "../../../tunnel/protocol/mod.ts";
import { header, spec } from "./_testing.ts";
import { normalizeSpec, sameFilters, sameSpec, validateSpec } from "./spec.ts";

function rejects(input: Parameters<typeof validateSpec>[0], message: RegExp): void {
  assert.throws(() => validateSpec(input), (error) => {
    assert.ok(error instanceof TpxError);
    assert.equal(error.category, "user");
    assert.equal(error.code, "invalid_intercept");
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\.$/);
    return true;
  });
}

Deno.test("validateSpec() accepts a global and a personal intercept", () => {
  validateSpec(spec());
  validateSpec(spec({
    servicePort: "http",
    filters: [header("x-user", "ann"), { on: "path", match: "prefix", value: "/api" }],
  }));
});

Deno.test("validateSpec() refuses an empty or non-DNS-label name", () => {
  rejects(spec({ name: "" }), /^Invalid intercept name: it is empty$/);
  rejects(spec({ name: "Web_1" }), /^Invalid intercept name "Web_1": use at most 63 lowercase/);
  rejects(spec({ name: "web-" }), /"web-"/);
  rejects(spec({ name: "a".repeat(64) }), /Invalid intercept name/);
});

Deno.test("validateSpec() refuses a namespace or workload Kubernetes would not have", () => {
  rejects(spec({ namespace: "Shop" }), /^Invalid namespace "Shop"/);
  rejects(spec({ workload: "web/x" }), /^Invalid workload "web\/x"/);
});

Deno.test("validateSpec() names a regex filter that does not compile", () => {
  rejects(
    spec({ filters: [header("x-user", "^ann(", "regex")] }),
    /^Invalid filter header "x-user" regex "\^ann\(": the regular expression does not compile/,
  );
  rejects(
    spec({ filters: [{ on: "path", match: "regex", value: "[" }] }),
    /^Invalid filter path regex "\[": the regular expression does not compile/,
  );
});

Deno.test("validateSpec() wants a name on header filters and none on path filters", () => {
  rejects(
    spec({ filters: [{ on: "header", match: "exact", value: "ann" }] }),
    /^Invalid filter header exact "ann": a header filter needs a name$/,
  );
  rejects(
    spec({ filters: [{ on: "path", name: "x", match: "exact", value: "/" }] }),
    /^Invalid filter path "x" exact "\/": a path filter has no name$/,
  );
  rejects(spec({ filters: [header("x user", "ann")] }), /"x user" is not an HTTP header name/);
  rejects(spec({ filters: [{ ...header("x-user", "a"), match: "prefix" }] }), /"exact" or "regex"/);
  rejects(
    spec({ filters: [{ on: "path", match: "prefix", value: "api" }] }),
    /a path starts with "\/"/,
  );
});

Deno.test("sameFilters() ignores order, repetition and the case of header names", () => {
  const a = [header("X-User", "ann"), { on: "path", match: "prefix", value: "/api" }] as const;
  const b = [{ on: "path", match: "prefix", value: "/api" }, header("x-user", "ann")] as const;
  assert.ok(sameFilters([...a], [...b, b[1]]));
  assert.ok(!sameFilters([header("x-user", "ann")], [header("x-user", "bob")]));
  assert.ok(!sameFilters([header("x-user", "ann")], [header("x-user", "ann", "regex")]));
  assert.ok(!sameFilters([header("x-user", "ann")], []));
});

Deno.test("sameSpec() compares every field", () => {
  assert.ok(sameSpec(spec(), spec()));
  assert.ok(!sameSpec(spec(), spec({ servicePort: "http" })));
  assert.ok(!sameSpec(spec(), spec({ namespace: "other" })));
  assert.ok(!sameSpec(spec(), spec({ filters: [header("x-user", "ann")] })));
});

Deno.test("normalizeSpec() drops fields this version does not know", () => {
  const filter = { ...header("x", "1"), extra: 1 };
  const received = { ...spec({ filters: [filter] }), future: true };
  assert.deepEqual(normalizeSpec(received), spec({ filters: [header("x", "1")] }));
});
