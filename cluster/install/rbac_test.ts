import assert from "node:assert/strict";
import { type PolicyRule, rbacObjects } from "./rbac.ts";

function grants(rules: readonly PolicyRule[]): Set<string> {
  return new Set(
    rules.flatMap((rule) =>
      rule.resources.flatMap((resource) =>
        rule.verbs.map((verb) => `${verb} ${rule.apiGroups.join(",")}/${resource}`)
      )
    ),
  );
}

function rulesOf(kind: string, namespace: string | undefined, namespaces?: string[]) {
  const objects = rbacObjects({ namespace: "tpx", namespaces, labels: {} });
  const role = objects.find((o) => o.kind === kind && o.metadata.namespace === namespace);
  assert.ok(role, `no ${kind} in ${namespace}`);
  return grants(role.rules as PolicyRule[]);
}

Deno.test("rbacObjects() lets a cluster-wide manager list and watch what lookups read", () => {
  const granted = rulesOf("ClusterRole", undefined);
  for (const resource of ["/services", "discovery.k8s.io/endpointslices", "/namespaces"]) {
    for (const verb of ["list", "watch"]) {
      assert.ok(granted.has(`${verb} ${resource}`), `${verb} ${resource}`);
    }
  }
  assert.ok(!granted.has("patch /namespaces"), "namespaces are only read");
});

Deno.test("rbacObjects() lets a namespaced manager list and watch Services and EndpointSlices in each namespace", () => {
  for (const namespace of ["a", "b"]) {
    const granted = rulesOf("Role", namespace, ["a", "b"]);
    for (const resource of ["/services", "discovery.k8s.io/endpointslices"]) {
      for (const verb of ["list", "watch"]) {
        assert.ok(granted.has(`${verb} ${resource}`), `${verb} ${resource} in ${namespace}`);
      }
    }
    // A Role cannot grant listing Namespaces: the manager knows its namespaces from its env.
    assert.ok(![...granted].some((g) => g.endsWith("/namespaces")), namespace);
  }
});
