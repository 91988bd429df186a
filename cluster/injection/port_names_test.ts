import assert from "node:assert/strict";
import { derivePortName, isValidPortName, MAX_PORT_NAME_LENGTH } from "./port_names.ts";

Deno.test("isValidPortName() follows IANA_SVC_NAME", () => {
  for (const name of ["http", "tpx-app-http", "h2c", "a", "x-1", "abcdefghijklmno"]) {
    assert.equal(isValidPortName(name), true, name);
  }
  for (const name of ["", "8080", "HTTP", "-http", "http-", "a--b", "abcdefghijklmnop", "a_b"]) {
    assert.equal(isValidPortName(name), false, name);
  }
});

Deno.test("derivePortName() keeps prefix-stem when it fits and is free", () => {
  assert.equal(derivePortName("tpx-app", "http", new Set()), "tpx-app-http");
  assert.equal(derivePortName("tpx", "8080", new Set()), "tpx-8080");
  assert.equal(derivePortName("tpx", "udp-53", new Set()), "tpx-udp-53");
});

Deno.test("derivePortName() shortens long names to valid ones of at most 15 characters", () => {
  const stems = [
    "metrics-secure",
    "abcdefghijklmno",
    "a-b-c-d-e-f-g-h",
    "grpc-web-public",
    "x1-----",
  ];
  const seen = new Set<string>();
  for (const stem of stems) {
    const name = derivePortName("tpx-app", stem, new Set());
    assert.equal(isValidPortName(name), true, name);
    assert.ok(name.length <= MAX_PORT_NAME_LENGTH, name);
    assert.ok(name.startsWith("tpx-app-"), name);
    seen.add(name);
  }
  assert.equal(seen.size, stems.length);
});

Deno.test("derivePortName() is deterministic", () => {
  const taken = new Set(["tpx-app-http"]);
  assert.equal(derivePortName("tpx-app", "http", taken), derivePortName("tpx-app", "http", taken));
  assert.equal(
    derivePortName("tpx-app", "metrics-secure", new Set()),
    derivePortName("tpx-app", "metrics-secure", new Set()),
  );
});

Deno.test("derivePortName() steps around names that are taken, hashed ones too", () => {
  const taken = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const name = derivePortName("tpx-app", "metrics-secure", taken);
    assert.equal(isValidPortName(name), true, name);
    assert.equal(taken.has(name), false);
    taken.add(name);
  }
  assert.equal(taken.size, 50);
});
