import assert from "node:assert/strict";
import {
  apiDeployment,
  apiService,
  dbService,
  dbStatefulSet,
  echoReplicaSet,
  echoService,
  options,
  otherService,
  webDeployment,
  webNumericService,
  webService,
} from "./_fixtures.ts";
import { restorationDiff } from "./compare.ts";
import { inject, type InjectOptions } from "./inject.ts";
import { remove } from "./remove.ts";
import type { Service, Workload } from "./types.ts";

interface Case {
  name: string;
  workload: Workload;
  services: Service[];
  options?: Partial<InjectOptions>;
}

const cases: Case[] = [
  {
    name: "a Deployment with a named port and probes",
    workload: webDeployment(),
    services: [webService()],
  },
  {
    name: "two Services, by name and by number, and an unrelated one",
    workload: webDeployment(),
    services: [webService(), webNumericService(), otherService()],
  },
  {
    name: "a StatefulSet with a numeric target port",
    workload: dbStatefulSet(),
    services: [dbService()],
  },
  {
    name: "a ReplicaSet whose Service has no targetPort",
    workload: echoReplicaSet(),
    services: [echoService()],
    options: { servicePort: "8080" },
  },
  {
    name: "a ReplicaSet's UDP port",
    workload: echoReplicaSet(),
    services: [echoService()],
    options: { servicePort: "udp" },
  },
  {
    name: "a multi-container pod",
    workload: apiDeployment(),
    services: [apiService()],
    options: { servicePort: "http" },
  },
];

for (const c of cases) {
  Deno.test(`remove(inject()) restores ${c.name} exactly`, () => {
    const injected = inject(c.workload, c.services, { ...options, ...c.options });
    assert.notDeepEqual(injected.workload, c.workload);
    const restored = remove(injected.workload, injected.services);
    assert.deepEqual(restorationDiff(c.workload, restored.workload), []);
    // Byte for byte: same fields, same order.
    assert.equal(JSON.stringify(restored.workload), JSON.stringify(c.workload));
    assert.equal(JSON.stringify(restored.services), JSON.stringify(c.services));
  });
}

Deno.test("remove(inject()) restores a workload after two ports were taken one by one", () => {
  const workload = echoReplicaSet();
  const services = [echoService()];
  const first = inject(workload, services, { ...options, servicePort: "http" });
  const second = inject(first.workload, first.services, { ...options, servicePort: "udp" });
  assert.equal(second.record.ports.length, 2);
  const restored = remove(second.workload, second.services);
  assert.equal(JSON.stringify(restored.workload), JSON.stringify(workload));
  assert.equal(JSON.stringify(restored.services), JSON.stringify(services));
});

Deno.test("remove(inject()) holds on objects as the API server returns them after the write", () => {
  const workload = webDeployment();
  const injected = inject(workload, [webService()], options);
  // What the server changes on its own: revision, generation, resourceVersion, status.
  const served = structuredClone(injected.workload);
  served.metadata.annotations!["deployment.kubernetes.io/revision"] = "4";
  served.metadata.generation = 4;
  served.metadata.resourceVersion = "4800";
  served.status = { replicas: 3, updatedReplicas: 1 };
  const restored = remove(served, injected.services);
  assert.deepEqual(restorationDiff(workload, restored.workload), []);
});
