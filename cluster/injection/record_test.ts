import assert from "node:assert/strict";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import { Annotation, deleteAnnotations, readServiceRecord, setAnnotation } from "./record.ts";
import type { ObjectMeta } from "./types.ts";

Deno.test("setAnnotation() reports whether it had to create the map", () => {
  const meta: ObjectMeta = { name: "x" };
  assert.equal(setAnnotation(meta, "a", "1"), true);
  assert.equal(setAnnotation(meta, "b", "2"), false);
  assert.deepEqual(meta.annotations, { a: "1", b: "2" });
});

Deno.test("deleteAnnotations() drops the map only if tpx created it and it is empty", () => {
  const created: ObjectMeta = { annotations: { a: "1" } };
  deleteAnnotations(created, ["a"], true);
  assert.deepEqual(created, {});
  const preexisting: ObjectMeta = { annotations: { a: "1" } };
  deleteAnnotations(preexisting, ["a"], false);
  assert.deepEqual(preexisting, { annotations: {} });
  const shared: ObjectMeta = { annotations: { a: "1", b: "2" } };
  deleteAnnotations(shared, ["a"], true);
  assert.deepEqual(shared, { annotations: { b: "2" } });
});

Deno.test("readServiceRecord() refuses a record of another shape", () => {
  const meta = { name: "web", annotations: { [Annotation.OriginalTargetPorts]: "[1]" } };
  assert.throws(() => readServiceRecord(meta), (error: unknown) => {
    assert.ok(error instanceof TpxError);
    assert.equal(
      error.message,
      'Cannot read annotation "tpx.dev/original-target-ports" of "web": not a JSON object',
    );
    assert.equal(error.code, "injection_record_invalid");
    return true;
  });
  assert.equal(readServiceRecord({ name: "web" }), undefined);
});
