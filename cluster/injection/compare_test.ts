import assert from "node:assert/strict";
import { webDeployment, webService } from "./_fixtures.ts";
import { covers, restorationDiff, withoutServerFields } from "./compare.ts";

Deno.test("withoutServerFields() drops what the API server owns and nothing else", () => {
  const stripped = withoutServerFields(webDeployment());
  assert.equal(stripped.status, undefined);
  assert.deepEqual(Object.keys(stripped.metadata), ["name", "namespace", "labels", "annotations"]);
  assert.deepEqual(stripped.metadata.annotations, { owner: "team-shop" });
  assert.deepEqual(stripped.spec.template.metadata, { labels: { app: "web", version: "1.4" } });
  assert.deepEqual(stripped.spec, { ...webDeployment().spec, template: stripped.spec.template });
});

Deno.test("withoutServerFields() drops an annotations map left empty", () => {
  const stripped = withoutServerFields({
    metadata: { name: "x", annotations: { "deployment.kubernetes.io/revision": "1" } },
  });
  assert.deepEqual(stripped, { metadata: { name: "x" } });
});

Deno.test("restorationDiff() ignores server fields and names the paths that differ", () => {
  const before = webDeployment();
  const after = structuredClone(before);
  after.metadata.resourceVersion = "9999";
  after.metadata.annotations!["deployment.kubernetes.io/revision"] = "7";
  after.status = {};
  assert.deepEqual(restorationDiff(before, after), []);
  after.spec.replicas = 4;
  after.spec.template.spec.containers[0]!.env!.pop();
  after.metadata.labels!.extra = "1";
  assert.deepEqual(restorationDiff(before, after), [
    "metadata.labels.extra",
    "spec.replicas",
    "spec.template.spec.containers[0].env",
  ]);
});

Deno.test("restorationDiff() compares Services too", () => {
  const after = structuredClone(webService());
  after.spec.ports![0]!.targetPort = "tpx-8080";
  assert.deepEqual(restorationDiff(webService(), after), ["spec.ports[0].targetPort"]);
});

Deno.test("covers() accepts extra fields but not extra array items or other values", () => {
  assert.equal(covers({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }), true);
  assert.equal(covers({ a: [1, 2] }, { a: [1] }), false);
  assert.equal(covers({ a: [{ x: 1, y: 2 }] }, { a: [{ x: 1 }] }), true);
  assert.equal(covers({ a: "1" }, { a: 1 }), false);
  assert.equal(covers({}, { a: undefined }), true);
  assert.equal(covers([], {}), false);
});
