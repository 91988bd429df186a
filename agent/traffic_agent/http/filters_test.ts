import assert from "node:assert/strict";
import type { InterceptFilter, TpxError } from "../../../tunnel/protocol/mod.ts";
import { compileFilters, type FilterableHead, matches } from "./filters.ts";
import { HttpHeaders } from "./http_headers.ts";

function head(path: string, ...fields: [string, string][]): FilterableHead {
  const headers = new HttpHeaders();
  for (const [name, value] of fields) headers.append(name, value);
  return { path, headers };
}

const header = (name: string, match: InterceptFilter["match"], value: string): InterceptFilter => ({
  on: "header",
  name,
  match,
  value,
});
const path = (match: InterceptFilter["match"], value: string): InterceptFilter => ({
  on: "path",
  match,
  value,
});

Deno.test("matches() compares header values exactly, whatever the name's case", () => {
  const filters = [header("X-Dev", "exact", "ann")];
  assert.equal(matches(filters, head("/", ["x-dev", "ann"])), true);
  assert.equal(matches(filters, head("/", ["X-DEV", "ann2"])), false);
  assert.equal(matches(filters, head("/", ["X-Dev", "Ann"])), false);
  assert.equal(matches(filters, head("/")), false);
});

Deno.test("matches() takes any value of a repeated header", () => {
  const filters = [header("x-dev", "exact", "bob")];
  assert.equal(matches(filters, head("/", ["x-dev", "ann"], ["x-dev", "bob"])), true);
});

Deno.test("matches() tests header regexes and prefixes", () => {
  const regex = [header("user-agent", "regex", "^curl/[0-9]+")];
  assert.equal(matches(regex, head("/", ["User-Agent", "curl/8.5"])), true);
  assert.equal(matches(regex, head("/", ["User-Agent", "Mozilla curl/8"])), false);
  const prefix = [header("x-trace", "prefix", "ann-")];
  assert.equal(matches(prefix, head("/", ["x-trace", "ann-42"])), true);
});

Deno.test("matches() tests paths exactly, by prefix and by regex", () => {
  assert.equal(matches([path("exact", "/api")], head("/api")), true);
  assert.equal(matches([path("exact", "/api")], head("/api/x")), false);
  assert.equal(matches([path("prefix", "/api/")], head("/api/x")), true);
  assert.equal(matches([path("prefix", "/api/")], head("/apix")), false);
  assert.equal(matches([path("regex", "^/v[0-9]+/items$")], head("/v2/items")), true);
  assert.equal(matches([path("regex", "^/v[0-9]+/items$")], head("/v2/items/3")), false);
});

Deno.test("matches() requires every filter, and no filters match everything", () => {
  const filters = [path("prefix", "/api"), header("x-dev", "exact", "ann")];
  assert.equal(matches(filters, head("/api/a", ["x-dev", "ann"])), true);
  assert.equal(matches(filters, head("/api/a")), false);
  assert.equal(matches(filters, head("/web", ["x-dev", "ann"])), false);
  assert.equal(matches([], head("/")), true);
});

Deno.test("compileFilters() refuses an invalid regex, naming the filter", () => {
  assert.throws(
    () => compileFilters([path("prefix", "/"), header("x-dev", "regex", "(ann")]),
    (error: TpxError) => {
      assert.equal(error.code, "invalid_filter");
      assert.equal(error.category, "user");
      assert.match(error.message, /^Invalid intercept filter 2 \(header "x-dev" regex "\(ann"\): /);
      return true;
    },
  );
});

Deno.test("compileFilters() refuses a header filter without a name", () => {
  assert.throws(
    () => compileFilters([{ on: "header", match: "exact", value: "a" }]),
    (error: TpxError) => error.code === "invalid_filter",
  );
});
