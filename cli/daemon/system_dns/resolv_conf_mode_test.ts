import assert from "node:assert/strict";
import { renderResolvConf } from "./resolv_conf_mode.ts";

function body(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

Deno.test("renderResolvConf() names only the stub and puts the cluster search domains first", () => {
  const text = renderResolvConf(
    "nameserver 10.0.0.1\nnameserver 10.0.0.2\nsearch lan corp.example\noptions edns0 trust-ad\n",
    "127.0.0.1",
    ["shop", "default"],
  );
  assert.deepEqual(body(text), [
    "nameserver 127.0.0.1",
    "search shop default lan corp.example",
    "options edns0 trust-ad",
  ]);
  assert.ok(text.startsWith("# Written by tpx"));
  assert.ok(text.endsWith("\n"));
});

Deno.test("renderResolvConf() takes the last search or domain line, as glibc does", () => {
  const text = renderResolvConf("search first\ndomain second.example\n", "127.0.0.1", ["shop"]);
  assert.deepEqual(body(text), ["nameserver 127.0.0.1", "search shop second.example"]);
});

Deno.test("renderResolvConf() lists a domain once when it is both cluster and machine search", () => {
  const text = renderResolvConf("search Shop. lan\n", "::1", ["shop"]);
  assert.deepEqual(body(text), ["nameserver ::1", "search shop lan"]);
});

Deno.test("renderResolvConf() writes no search line when there is nothing to search", () => {
  assert.deepEqual(body(renderResolvConf("", "127.0.0.1", [])), ["nameserver 127.0.0.1"]);
});
