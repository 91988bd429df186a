import assert from "node:assert/strict";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import {
  apiDeployment,
  apiService,
  dbService,
  dbStatefulSet,
  deepFreeze,
  options,
  otherService,
  webDeployment,
  webService,
} from "./_fixtures.ts";
import { inject, type InjectOptions } from "./inject.ts";
import { Annotation } from "./record.ts";
import type { Service, Workload } from "./types.ts";

function refusal(
  workload: Workload,
  services: Service[],
  extra: Partial<InjectOptions> = {},
): TpxError {
  try {
    inject(workload, services, { ...options, ...extra });
  } catch (error) {
    assert.ok(error instanceof TpxError, String(error));
    return error;
  }
  assert.fail("inject() did not refuse");
}

function edited(workload: Workload, edit: (copy: Workload) => void): Workload {
  const copy = structuredClone(workload);
  edit(copy);
  return deepFreeze(copy);
}

Deno.test("inject() refuses a DaemonSet and names the kinds it supports", () => {
  const error = refusal(edited(webDeployment(), (w) => w.kind = "DaemonSet"), [webService()]);
  assert.equal(
    error.message,
    'Cannot intercept daemonset "web": tpx injects its agent only into a Deployment, StatefulSet or ReplicaSet',
  );
  assert.equal(error.code, "workload_kind_unsupported");
  assert.equal(error.category, "user");
  assert.match(error.hint!, /Deployment, StatefulSet or ReplicaSet/);
  assert.equal(refusal(edited(webDeployment(), (w) => w.kind = "Job"), []).code, error.code);
});

Deno.test("inject() refuses a ReplicaSet that a Deployment manages", () => {
  const replicaSet = edited(webDeployment(), (w) => {
    w.kind = "ReplicaSet";
    w.metadata.name = "web-7d9f";
    w.metadata.ownerReferences = [{ kind: "Deployment", name: "web", controller: true }];
  });
  const error = refusal(replicaSet, [webService()]);
  assert.equal(
    error.message,
    'Cannot intercept replicaset "web-7d9f": deployment "web" manages it and would undo the change',
  );
  assert.equal(error.hint, 'intercept deployment "web" instead');
});

Deno.test("inject() refuses pods on the host network and says why", () => {
  const error = refusal(
    edited(webDeployment(), (w) => w.spec.template.spec.hostNetwork = true),
    [webService()],
  );
  assert.match(
    error.message,
    /^Cannot intercept deployment "web": its pods use the node's network/,
  );
  assert.match(error.message, /ports would open on the node itself/);
  assert.equal(error.code, "workload_host_network");
});

Deno.test("inject() refuses a workload that no Service selects", () => {
  const error = refusal(webDeployment(), [otherService()]);
  assert.equal(error.message, 'Cannot intercept deployment "web": no Service selects its pods');
  assert.equal(
    error.hint,
    'check the Services\' selectors with "kubectl get services -n shop -o wide"',
  );
  assert.equal(refusal(webDeployment(), []).code, "service_not_found");
  const named = refusal(webDeployment(), [webService()], { service: "cart" });
  assert.equal(
    named.message,
    'Cannot intercept deployment "web": Service "cart" does not select its pods',
  );
});

Deno.test("inject() refuses an ambiguous port and lists the ports", () => {
  const error = refusal(apiDeployment(), [apiService()]);
  assert.equal(
    error.message,
    'Cannot intercept deployment "api": its Services have several ports ("https" 443, "http" 80) and none was chosen',
  );
  assert.equal(
    error.hint,
    "pass --port with the name or number of one of them, such as --port https",
  );
  assert.equal(error.code, "port_ambiguous");
});

Deno.test("inject() refuses a Service port that does not exist", () => {
  const error = refusal(webDeployment(), [webService()], { servicePort: "grpc" });
  assert.equal(
    error.message,
    'Cannot intercept deployment "web": no Service port "grpc" (its Service ports: "http" 80)',
  );
  assert.equal(error.code, "port_not_found");
});

Deno.test("inject() refuses a named target port that no container declares", () => {
  const service = deepFreeze({
    ...webService(),
    spec: { selector: { app: "web" }, ports: [{ name: "grpc", port: 9000, targetPort: "grpc" }] },
  });
  const error = refusal(webDeployment(), [service]);
  assert.equal(
    error.message,
    'Cannot intercept deployment "web": Service "web" port "grpc" 9000 targets port "grpc", which no container of its pods declares',
  );
  assert.match(error.hint!, /^name a container port "grpc" or fix the Service's targetPort/);
  assert.equal(error.code, "target_port_not_found");
});

Deno.test("inject() refuses SCTP", () => {
  const service = deepFreeze({
    ...dbService(),
    spec: { selector: { app: "db" }, ports: [{ port: 5432, protocol: "SCTP" }] },
  });
  const error = refusal(dbStatefulSet(), [service]);
  assert.equal(
    error.message,
    'Cannot intercept statefulset "db": Service "db" port 5432/SCTP uses SCTP, and the agent fronts only TCP and UDP',
  );
});

Deno.test("inject() refuses a container that does not exist or does not own the port", () => {
  const missing = refusal(apiDeployment(), [apiService()], { container: "sidecar" });
  assert.equal(
    missing.message,
    'Cannot intercept deployment "api": its pods have no container "sidecar" (they have "proxy", "api")',
  );
  const mismatch = refusal(apiDeployment(), [apiService()], {
    container: "proxy",
    servicePort: "http",
  });
  assert.equal(
    mismatch.message,
    'Cannot intercept deployment "api": port 3000/TCP belongs to container "api", not "proxy"',
  );
  assert.equal(mismatch.hint, 'pass --container api, or choose a port of "proxy" with --port');
});

Deno.test("inject() asks for --container when no container declares a numeric port", () => {
  const service = deepFreeze({
    ...apiService(),
    spec: { selector: { app: "api" }, ports: [{ port: 80, targetPort: 8000 }] },
  });
  const error = refusal(apiDeployment(), [service]);
  assert.equal(
    error.message,
    'Cannot intercept deployment "api": no container declares port 8000/TCP, and its pods have several (proxy, api)',
  );
  assert.equal(error.hint, "pass --container with the one that listens on it");
  const chosen = inject(apiDeployment(), [service], { ...options, container: "api" });
  assert.equal(chosen.record.appContainer, "api");
});

Deno.test("inject() refuses a port name that two containers declare", () => {
  const workload = edited(apiDeployment(), (w) => {
    w.spec.template.spec.containers[1]!.ports!.push({ name: "https", containerPort: 3443 });
  });
  const error = refusal(workload, [apiService()], { servicePort: "https" });
  assert.equal(
    error.message,
    'Cannot intercept deployment "api": containers "proxy", "api" all declare port "https"',
  );
});

Deno.test("inject() refuses a pod that has a tpx-agent container tpx did not record", () => {
  const workload = edited(webDeployment(), (w) => {
    w.spec.template.spec.containers.push({ name: "tpx-agent", image: "someone/else" });
  });
  const error = refusal(workload, [webService()]);
  assert.equal(
    error.message,
    'Cannot intercept deployment "web": its pods already have a container "tpx-agent" that tpx did not record',
  );
});

Deno.test("inject() refuses a Service that already targets another workload's agent", () => {
  const canary = edited(webDeployment(), (w) => w.metadata.name = "web-canary");
  const numeric = deepFreeze({
    ...webService(),
    spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const taken = inject(canary, [numeric], options).services;
  const error = refusal(webDeployment(), taken);
  assert.equal(
    error.message,
    'Cannot intercept deployment "web": Service "web" already targets the agent of deployment "web-canary"',
  );
});

Deno.test("inject() refuses a record it cannot read", () => {
  const workload = edited(webDeployment(), (w) => {
    w.metadata.annotations![Annotation.Injected] = '{"version":99}';
  });
  const error = refusal(workload, [webService()]);
  assert.equal(
    error.message,
    'Cannot read annotation "tpx.dev/injected" of "web": unknown version or shape',
  );
  assert.equal(error.category, "cluster");
  const garbled = edited(webDeployment(), (w) => {
    w.metadata.annotations![Annotation.Injected] = "{";
  });
  assert.match(refusal(garbled, [webService()]).message, /: not JSON$/);
});
