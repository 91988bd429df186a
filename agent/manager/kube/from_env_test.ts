import assert from "node:assert/strict";
import { clusterDomainOf, managedNamespaces, managerKubeFromEnv } from "./from_env.ts";
import { silentLogger } from "../../../tunnel/log.ts";

Deno.test("managedNamespaces() reads TPX_MANAGED_NAMESPACES, and undefined means all", () => {
  assert.deepEqual(managedNamespaces({ TPX_MANAGED_NAMESPACES: "a, b,,a" }), ["a", "b"]);
  assert.equal(managedNamespaces({ TPX_MANAGED_NAMESPACES: " " }), undefined);
  assert.equal(managedNamespaces({}), undefined);
});

Deno.test("clusterDomainOf() prefers TPX_CLUSTER_DOMAIN, then resolv.conf, then cluster.local", async () => {
  const resolvConf = () => Promise.resolve("search a.svc.corp.example svc.corp.example\n");
  assert.equal(await clusterDomainOf({ TPX_CLUSTER_DOMAIN: "k8s.test." }, resolvConf), "k8s.test");
  assert.equal(await clusterDomainOf({}, resolvConf), "corp.example");
  assert.equal(
    await clusterDomainOf({}, () => Promise.resolve("search example.org\n")),
    "cluster.local",
  );
  assert.equal(
    await clusterDomainOf({}, () => Promise.reject(new Deno.errors.NotFound("no file"))),
    "cluster.local",
  );
});

Deno.test("managerKubeFromEnv() gives nothing outside a cluster", async () => {
  assert.equal(await managerKubeFromEnv({}, { agentPort: 8082, logger: silentLogger }), undefined);
});
