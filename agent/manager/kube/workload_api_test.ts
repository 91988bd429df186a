import assert from "node:assert/strict";
import { Annotation } from "../../../cluster/injection/mod.ts";
import { deployment } from "./_fake_api.ts";
import { isInjectedRoot } from "./workload_api.ts";

function annotated(more: object = {}) {
  const workload = deployment();
  workload.metadata = {
    ...workload.metadata,
    annotations: { [Annotation.Injected]: "{}" },
    ...more,
  };
  return workload;
}

Deno.test("isInjectedRoot() is true for a workload with tpx's record", () => {
  assert.equal(isInjectedRoot(annotated()), true);
  assert.equal(isInjectedRoot(deployment()), false);
});

Deno.test("isInjectedRoot() leaves out a ReplicaSet that inherited its Deployment's record", () => {
  const owned = annotated({
    ownerReferences: [{ kind: "Deployment", name: "web", controller: true }],
  });
  assert.equal(isInjectedRoot({ ...owned, kind: "ReplicaSet" }), false);
  const bare = annotated({ ownerReferences: [{ kind: "Deployment", name: "web" }] });
  assert.equal(isInjectedRoot({ ...bare, kind: "ReplicaSet" }), true);
});
