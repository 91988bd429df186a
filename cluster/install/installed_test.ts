import assert from "node:assert/strict";
import { installedManager, managedNamespaces, refOf } from "./installed.ts";
import { managerObjects } from "./manifests.ts";
import type { KubeObject } from "./objects.ts";

function deploymentOf(objects: KubeObject[]): KubeObject {
  const deployment = objects.find((o) => o.kind === "Deployment");
  assert.ok(deployment);
  return deployment;
}

Deno.test("installedManager() reads back the options the Deployment was made from", () => {
  const options = {
    namespace: "tpx-x",
    image: "localhost/tpx:dev",
    namespaces: ["a", "b"],
    logLevel: "debug",
    leaseMs: 5000,
    agentIdleMs: 9000,
    version: "0.0.9",
  };
  const installed = installedManager(deploymentOf(managerObjects(options)));
  assert.deepEqual(installed, {
    version: "0.0.9",
    image: "localhost/tpx:dev",
    options: {
      namespace: "tpx-x",
      namespaces: ["a", "b"],
      logLevel: "debug",
      leaseMs: 5000,
      agentIdleMs: 9000,
    },
  });
});

Deno.test("managedNamespaces() follows the Deployment, else the RBAC objects left", () => {
  const scoped = managerObjects({ image: "i", namespace: "m", namespaces: ["a"] });
  assert.deepEqual(managedNamespaces(scoped), ["a"]);
  assert.equal(managedNamespaces(managerObjects({ image: "i" })), undefined);
  const rolesOnly = scoped.filter((o) => o.kind === "Role");
  assert.deepEqual(managedNamespaces(rolesOnly), ["a", "m"]);
  const clusterRoleOnly = managerObjects({ image: "i" }).filter((o) => o.kind === "ClusterRole");
  assert.equal(managedNamespaces(clusterRoleOnly), undefined);
});

Deno.test("refOf() names namespaced and cluster-scoped objects", () => {
  const [namespace, serviceAccount] = managerObjects({ image: "i", namespace: "m" });
  assert.equal(refOf(namespace as KubeObject), "Namespace/m");
  assert.equal(refOf(serviceAccount as KubeObject), "ServiceAccount/m/tpx-manager");
});
