import assert from "node:assert/strict";
import { managerObjects } from "./manifests.ts";
import { toYaml, toYamlDocuments, type YamlValue } from "./yaml.ts";

/** client-node's YAML reader (js-yaml), loaded only here: the writer must not need it. */
async function readAll(text: string): Promise<unknown[]> {
  const { loadAllYaml } = await import("@kubernetes/client-node");
  // It returns client-node's model classes for known kinds; compare plain JSON.
  return JSON.parse(JSON.stringify(loadAllYaml(text)));
}

const TRICKY: YamlValue = {
  plain: "tpx-system",
  image: "ghcr.io/tpx-dev/tpx:0.1.0",
  words: ["yes", "No", "on", "OFF", "y", "null", "~", "true", "False"],
  numbers: ["0.1.0", "8080", "1e3", "0x1F", "0o17", "1_000", ".inf", "-.5", "1:20", "50m"],
  symbols: ["", " lead", "trail ", "a: b", "a #b", "#c", "-", "- x", "*ref", "&a", "!tag", "%"],
  quotes: ['say "hi"', "it's", "back\\slash", "tab\there", "line\nbreak", "é ünï ☃"],
  "key: with colon": 1,
  "8080": "numeric key",
  numbersReal: [0, -1, 3.25, 1e21],
  booleans: [true, false],
  nothing: null,
  emptyMap: {},
  emptyList: [],
  nested: [[1, [2, 3]], [], [{}], { a: [{ b: { c: ["d"] } }] }],
  listOfMaps: [{ name: "api", port: 8080 }, { name: "agent", port: 8082, extra: { x: 1 } }],
};

Deno.test("toYaml() round-trips tricky strings, numbers and nesting through js-yaml", async () => {
  const [read] = await readAll(toYaml(TRICKY));
  assert.deepEqual(read, TRICKY);
});

Deno.test("toYaml() leaves out undefined fields, as JSON does", async () => {
  const text = toYaml({ a: 1, b: undefined, c: { d: undefined } });
  assert.deepEqual(await readAll(text), [{ a: 1, c: {} }]);
});

Deno.test("toYaml() writes plain block style a person can read", () => {
  assert.equal(
    toYaml({ metadata: { name: "tpx-manager", labels: { "app.kubernetes.io/name": "x" } } }),
    "metadata:\n  name: tpx-manager\n  labels:\n    app.kubernetes.io/name: x\n",
  );
  assert.equal(
    toYaml({ ports: [{ name: "api", port: 8080 }] }),
    "ports:\n  - name: api\n    port: 8080\n",
  );
});

Deno.test("toYamlDocuments() separates documents with ---", async () => {
  const text = toYamlDocuments([{ kind: "Namespace" }, { kind: "Service" }]);
  assert.equal(text, "kind: Namespace\n---\nkind: Service\n");
  assert.deepEqual(await readAll(text), [{ kind: "Namespace" }, { kind: "Service" }]);
});

Deno.test("the manager's manifests round-trip through js-yaml", async () => {
  const objects = managerObjects({ image: "localhost/tpx:dev", namespaces: ["a", "b"] });
  const read = await readAll(toYamlDocuments(objects as unknown as YamlValue[]));
  assert.deepEqual(read, objects);
});

Deno.test("toYaml() refuses what JSON cannot hold", () => {
  assert.throws(() => toYaml({ f: (() => 1) as unknown as YamlValue }), TypeError);
});
