import assert from "node:assert/strict";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import {
  apiDeployment,
  apiService,
  dbService,
  dbStatefulSet,
  deepFreeze,
  echoReplicaSet,
  echoService,
  options,
  webDeployment,
  webNumericService,
  webService,
} from "./_fixtures.ts";
import { restorationDiff } from "./compare.ts";
import { inject } from "./inject.ts";
import { Annotation } from "./record.ts";
import { remove } from "./remove.ts";

Deno.test("inject() of an injected workload returns the very same objects", () => {
  const first = deepFreeze(inject(webDeployment(), [webService(), webNumericService()], options));
  const again = inject(first.workload, first.services, options);
  assert.equal(again.workload, first.workload);
  assert.equal(again.services[0], first.services[0]);
  assert.equal(again.services[1], first.services[1]);
  assert.deepEqual(again.record, first.record);
});

Deno.test("inject() sees no change in objects the API server has filled in", () => {
  const first = inject(webDeployment(), [webService()], options);
  const served = structuredClone(first.workload);
  served.metadata.resourceVersion = "5000";
  served.metadata.annotations!["deployment.kubernetes.io/revision"] = "4";
  served.status = { replicas: 2 };
  // Defaults the server adds to the agent container, which inject does not write itself.
  served.spec.template.spec.containers[1]!.stdin = false;
  deepFreeze(served);
  assert.equal(inject(served, first.services, options).workload, served);
});

Deno.test("inject() with the same port by another name changes nothing", () => {
  const first = deepFreeze(inject(webDeployment(), [webService()], options));
  const again = inject(first.workload, first.services, { ...options, servicePort: "80" });
  assert.equal(again.workload, first.workload);
});

Deno.test("inject() of an injected workload updates only what changed: the image", () => {
  const first = deepFreeze(inject(webDeployment(), [webService()], options));
  const image = "ghcr.io/tpx/tpx:0.2.0";
  const again = inject(first.workload, first.services, { ...options, image });
  assert.deepEqual(restorationDiff(first.workload, again.workload), [
    "spec.template.metadata.annotations.tpx.dev/agent",
    "spec.template.spec.containers[1].image",
  ]);
  assert.equal(again.services[0], first.services[0]);
});

Deno.test("inject() of an injected workload follows a change of the app's environment", () => {
  const first = inject(webDeployment(), [webService()], options);
  const edited = structuredClone(first.workload);
  edited.spec.template.spec.containers[0]!.env!.push({ name: "FEATURE_X", value: "on" });
  const again = inject(deepFreeze(edited), first.services, options);
  const agent = again.workload.spec.template.spec.containers[1]!;
  assert.ok(agent.env!.some((v) => v.name === "FEATURE_X"));
  assert.deepEqual(again.record, first.record);
});

Deno.test("inject() of an injected workload adds another port and keeps the first one's", () => {
  const first = deepFreeze(
    inject(echoReplicaSet(), [echoService()], { ...options, servicePort: "http" }),
  );
  const again = inject(first.workload, first.services, { ...options, servicePort: "udp" });
  assert.deepEqual(again.record.ports, [
    { name: "http", appPort: 8080, agentPort: 9900, protocol: "TCP", agentPortName: "tpx-8080" },
    { name: "udp", appPort: 7000, agentPort: 9901, protocol: "UDP", agentPortName: "udp" },
  ]);
  const agent = again.workload.spec.template.spec.containers[1]!;
  assert.deepEqual(agent.ports!.map((p) => p.name), ["tpx-8080", "udp"]);
  assert.equal(again.services[0]!.spec.ports![0]!.targetPort, "tpx-8080");
  assert.equal(again.services[0]!.spec.ports![1]!.targetPort, "udp");
  assert.ok(again.services[0]!.metadata.annotations![Annotation.OriginalTargetPorts]);
});

Deno.test("inject() refuses to front a second container of an injected workload", () => {
  const first = deepFreeze(
    inject(apiDeployment(), [apiService()], { ...options, servicePort: "http" }),
  );
  assert.throws(
    () => inject(first.workload, first.services, { ...options, servicePort: "https" }),
    (error: unknown) => {
      assert.ok(error instanceof TpxError);
      assert.equal(
        error.message,
        'Cannot intercept deployment "api": its agent fronts container "api", so it cannot also front "proxy"',
      );
      assert.equal(
        error.hint,
        'end the intercepts of deployment "api" first, or choose a port of "api"',
      );
      return true;
    },
  );
});

Deno.test("inject() stays idempotent when the server adds an annotation to a map tpx created", () => {
  const workload = deepFreeze({ ...dbStatefulSet(), kind: "Deployment" });
  const first = inject(workload, [dbService()], options);
  assert.deepEqual(first.record.createdMaps, [
    "metadata.annotations",
    "spec.template.metadata.annotations",
  ]);
  const served = structuredClone(first.workload);
  served.metadata.annotations!["deployment.kubernetes.io/revision"] = "2";
  deepFreeze(served);
  assert.equal(inject(served, first.services, options).workload, served);
  const restored = remove(served, first.services).workload;
  assert.deepEqual(restorationDiff(workload, restored), []);
});

Deno.test("inject() refuses Windows pods", () => {
  const workload = structuredClone(webDeployment());
  workload.spec.template.spec.os = { name: "windows" };
  assert.throws(() => inject(deepFreeze(workload), [webService()], options), {
    message:
      'Cannot intercept deployment "web": its pods run on Windows, and the agent runs only on Linux',
  });
});
