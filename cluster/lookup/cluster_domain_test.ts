import assert from "node:assert/strict";
import { clusterDomainFromResolvConf } from "./cluster_domain.ts";

Deno.test("clusterDomainFromResolvConf() takes the domain after svc. in the search list", () => {
  const text = "nameserver 10.96.0.10\n" +
    "search tpx-system.svc.corp.example svc.corp.example corp.example\noptions ndots:5\n";
  assert.equal(clusterDomainFromResolvConf(text), "corp.example");
});

Deno.test("clusterDomainFromResolvConf() says undefined without a svc. search entry", () => {
  assert.equal(clusterDomainFromResolvConf("nameserver 1.1.1.1\nsearch example.org\n"), undefined);
  assert.equal(clusterDomainFromResolvConf(""), undefined);
  assert.equal(clusterDomainFromResolvConf("search svc.\n"), undefined);
});
