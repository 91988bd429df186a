import assert from "node:assert/strict";
import { type Container, type PodSpec, restrictedViolations } from "../injection/mod.ts";
import { MANAGED_BY } from "./labels.ts";
import { managerObjects } from "./manifests.ts";
import type { KubeObject } from "./objects.ts";
import type { PolicyRule } from "./rbac.ts";

const IMAGE = "localhost/tpx:dev";

function find(objects: KubeObject[], kind: string, namespace?: string): KubeObject {
  const found = objects.find((o) =>
    o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace)
  );
  assert.ok(found, `no ${kind}${namespace ? ` in ${namespace}` : ""}`);
  return found;
}

function podSpec(objects: KubeObject[]): PodSpec {
  return (find(objects, "Deployment").spec as { template: { spec: PodSpec } }).template.spec;
}

function rulesOf(object: KubeObject): PolicyRule[] {
  return object.rules as PolicyRule[];
}

Deno.test("managerObjects() passes the restricted Pod Security profile", () => {
  const pod = podSpec(managerObjects({ image: IMAGE }));
  for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
    assert.deepEqual(restrictedViolations(container, pod.securityContext), []);
  }
  const container = pod.containers[0] as Container;
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext?.runAsUser, 65532);
  assert.equal(pod.hostNetwork, undefined);
});

Deno.test("managerObjects() labels every object managed-by tpx, in the order to apply", () => {
  const objects = managerObjects({ image: IMAGE, namespace: "tpx-x" });
  assert.deepEqual(objects.map((o) => o.kind), [
    "Namespace",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Deployment",
    "Service",
  ]);
  for (const object of objects) {
    assert.equal(object.metadata.labels?.[MANAGED_BY.key], MANAGED_BY.value, object.kind);
  }
  const ns = find(objects, "Namespace");
  assert.equal(ns.metadata.name, "tpx-x");
  assert.equal(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
});

Deno.test("the Deployment runs one manager with probes, resources and the options' env", () => {
  const objects = managerObjects({ image: IMAGE, logLevel: "debug", leaseMs: 5000 });
  const deployment = find(objects, "Deployment");
  assert.equal((deployment.spec as { replicas: number }).replicas, 1);
  const container = podSpec(objects).containers[0] as Container & Record<string, unknown>;
  assert.equal(container.image, IMAGE);
  assert.equal(container.imagePullPolicy, "IfNotPresent");
  assert.deepEqual(container.readinessProbe?.httpGet, { path: "/readyz", port: "api" });
  assert.deepEqual(container.livenessProbe?.httpGet, { path: "/healthz", port: "api" });
  assert.ok(container.resources?.requests && container.resources.limits);
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(env.TPX_LOG_LEVEL, "debug");
  assert.equal(env.TPX_LEASE_MS, "5000");
  assert.equal(env.TPX_AGENT_IDLE_MS, undefined);
  assert.equal(env.TPX_API_PORT, "8080");
  assert.equal(env.TPX_AGENT_IMAGE, container.image);
  assert.match(env.TPX_AGENT_MANAGER_ADDRESS ?? "", /^tpx-manager\.[a-z0-9-]+:8082$/);
});

Deno.test("the Service exposes the agent and API ports but not the daemon's", () => {
  const service = find(managerObjects({ image: IMAGE }), "Service");
  const ports = (service.spec as { ports: { port: number }[] }).ports.map((p) => p.port);
  assert.deepEqual(ports.sort(), [8080, 8082]);
});

Deno.test("without namespaces the manager gets one ClusterRole and no Roles", () => {
  const objects = managerObjects({ image: IMAGE, namespace: "tpx-system" });
  assert.equal(objects.filter((o) => o.kind === "Role").length, 0);
  const binding = find(objects, "ClusterRoleBinding");
  assert.deepEqual(binding.subjects, [
    { kind: "ServiceAccount", name: "tpx-manager", namespace: "tpx-system" },
  ]);
  const role = find(objects, "ClusterRole");
  assert.equal((binding.roleRef as { name: string }).name, role.metadata.name);
});

Deno.test("with namespaces the manager gets a Role in each and in its own, no ClusterRole", () => {
  const objects = managerObjects({ image: IMAGE, namespace: "tpx", namespaces: ["a", "b"] });
  assert.equal(objects.filter((o) => o.kind.startsWith("Cluster")).length, 0);
  const roles = objects.filter((o) => o.kind === "Role").map((o) => o.metadata.namespace);
  const bindings = objects.filter((o) => o.kind === "RoleBinding").map((o) => o.metadata.namespace);
  assert.deepEqual(roles, ["a", "b", "tpx"]);
  assert.deepEqual(bindings, ["a", "b", "tpx"]);
  // In its own namespace it only reads.
  const own = rulesOf(find(objects, "Role", "tpx"));
  assert.ok(own.every((rule) => rule.verbs.every((v) => ["get", "list", "watch"].includes(v))));
  const env = (podSpec(objects).containers[0]?.env ?? []).find((e) =>
    e.name === "TPX_MANAGED_NAMESPACES"
  );
  assert.equal(env?.value, "a,b");
});

Deno.test("a managed namespace that is the manager's own gets the full Role once", () => {
  const objects = managerObjects({ image: IMAGE, namespace: "a", namespaces: ["a", "b", "a"] });
  const roles = objects.filter((o) => o.kind === "Role");
  assert.deepEqual(roles.map((o) => o.metadata.namespace), ["a", "b"]);
  assert.ok(rulesOf(roles[0] as KubeObject).some((r) => r.verbs.includes("patch")));
});

Deno.test("RBAC grants exactly the listed verbs, and nothing on secrets", () => {
  for (const namespaces of [undefined, ["a"]]) {
    const objects = managerObjects({ image: IMAGE, namespaces });
    const rules = objects.filter((o) => o.kind.endsWith("Role")).flatMap(rulesOf);
    const grants = new Set(
      rules.flatMap((rule) =>
        rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${resource}`))
      ),
    );
    for (const grant of grants) {
      assert.doesNotMatch(grant, /secret|\*|create|delete|escalate|bind|impersonate/, grant);
    }
    for (const resource of ["deployments", "statefulsets", "replicasets", "services"]) {
      for (const verb of ["get", "list", "watch", "patch", "update"]) {
        assert.ok(grants.has(`${verb} ${resource}`), `${verb} ${resource}`);
      }
    }
    for (const resource of ["pods", "endpoints", "endpointslices", "events"]) {
      assert.ok(grants.has(`watch ${resource}`), `watch ${resource}`);
      assert.ok(!grants.has(`patch ${resource}`), `patch ${resource}`);
    }
  }
});
