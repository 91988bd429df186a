import assert from "node:assert/strict";
import {
  dbService,
  dbStatefulSet,
  deepFreeze,
  options,
  webDeployment,
  webNumericService,
  webService,
} from "./_fixtures.ts";
import { inject } from "./inject.ts";
import { Annotation } from "./record.ts";
import { remove } from "./remove.ts";
import type { Service, Workload } from "./types.ts";

/** Injects, lets `edit` change the result as someone else would, and freezes it again. */
function injectThenEdit(
  workload: Workload,
  services: Service[],
  edit: (workload: Workload, services: Service[]) => void,
) {
  const injected = inject(workload, services, options);
  const next = structuredClone(injected);
  edit(next.workload, next.services);
  return deepFreeze(next);
}

Deno.test("remove() keeps a new image, a new env var, new replicas and a new label", () => {
  const edited = injectThenEdit(webDeployment(), [webService()], (w) => {
    const app = w.spec.template.spec.containers[0]!;
    app.image = "shop/web:1.5";
    app.env!.push({ name: "FEATURE_X", value: "on" });
    w.spec.replicas = 5;
    w.spec.template.metadata!.labels!.canary = "true";
  });
  const { workload } = remove(edited.workload, edited.services);
  const expected = structuredClone(webDeployment());
  const app = expected.spec.template.spec.containers[0]!;
  app.image = "shop/web:1.5";
  app.env!.push({ name: "FEATURE_X", value: "on" });
  expected.spec.replicas = 5;
  expected.spec.template.metadata!.labels!.canary = "true";
  assert.deepEqual(workload, expected);
});

Deno.test("remove() keeps a probe the user changed and restores the others", () => {
  const edited = injectThenEdit(webDeployment(), [webService()], (w) => {
    w.spec.template.spec.containers[0]!.readinessProbe!.httpGet!.port = 8081;
  });
  const [app] = remove(edited.workload, edited.services).workload.spec.template.spec.containers;
  assert.equal(app!.readinessProbe!.httpGet!.port, 8081);
  assert.equal(app!.livenessProbe!.httpGet!.port, "http");
  assert.equal(app!.startupProbe!.tcpSocket!.port, "http");
  assert.equal(app!.ports![0]!.name, "http");
});

Deno.test("remove() keeps annotations added meanwhile, and the maps that hold them", () => {
  const edited = injectThenEdit(dbStatefulSet(), [dbService()], (w) => {
    w.metadata.annotations!.note = "added by someone";
    w.spec.template.metadata!.annotations!["kubectl.kubernetes.io/restartedAt"] = "now";
  });
  const { workload } = remove(edited.workload, edited.services);
  assert.deepEqual(workload.metadata.annotations, { note: "added by someone" });
  assert.deepEqual(workload.spec.template.metadata!.annotations, {
    "kubectl.kubernetes.io/restartedAt": "now",
  });
});

Deno.test("remove() leaves a Service target port that no longer points at the agent", () => {
  const edited = injectThenEdit(dbStatefulSet(), [dbService()], (_, services) => {
    services[0]!.spec.ports![0]!.targetPort = 6432;
  });
  const [service] = remove(edited.workload, edited.services).services;
  assert.equal(service!.spec.ports![0]!.targetPort, 6432);
  assert.equal(service!.metadata.annotations![Annotation.OriginalTargetPorts], undefined);
});

Deno.test("remove() leaves a port the user renamed since", () => {
  const edited = injectThenEdit(webDeployment(), [webService()], (w) => {
    w.spec.template.spec.containers[0]!.ports![0]!.name = "web";
  });
  const [app] = remove(edited.workload, edited.services).workload.spec.template.spec.containers;
  assert.deepEqual(app!.ports!.map((p) => p.name), ["web", "metrics"]);
});

Deno.test("remove() copes with the agent container already gone", () => {
  const edited = injectThenEdit(webDeployment(), [webService()], (w) => {
    w.spec.template.spec.containers.pop();
  });
  const { workload } = remove(edited.workload, edited.services);
  assert.equal(JSON.stringify(workload), JSON.stringify(webDeployment()));
});

Deno.test("remove() returns the very objects when tpx has nothing to undo", () => {
  const workload = webDeployment();
  const services = [webService(), webNumericService()];
  const result = remove(workload, services);
  assert.equal(result.workload, workload);
  assert.equal(result.services[0], services[0]);
  assert.equal(result.services[1], services[1]);
});

Deno.test("remove() restores only the Services retargeted for this workload", () => {
  const db = inject(dbStatefulSet(), [dbService()], options);
  const web = inject(webDeployment(), [webService(), webNumericService()], options);
  const result = remove(web.workload, [db.services[0]!, web.services[1]!]);
  assert.equal(result.services[0], db.services[0]);
  assert.equal(result.services[1]!.spec.ports![0]!.targetPort, 8080);
});
