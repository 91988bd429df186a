import assert from "node:assert/strict";
import { type ClusterName, ClusterNames, parseReverseName } from "./names.ts";

const names = new ClusterNames({
  isNamespace: (ns) => ["default", "shop", "svc"].includes(ns),
});

function name(fqdn: string, upstreamIfUnknown = false): ClusterName {
  return { kind: "name", fqdn, upstreamIfUnknown };
}

function srv(fqdn: string, port: string, protocol: "TCP" | "UDP" = "TCP"): ClusterName {
  return { kind: "srv", fqdn, port, protocol };
}

const cases: [query: string, expected: ClusterName | undefined][] = [
  // the search forms of a service
  ["web", name("web.default.svc.cluster.local", true)],
  ["web.shop", name("web.shop.svc.cluster.local")],
  ["web.shop.svc", name("web.shop.svc.cluster.local")],
  ["web.shop.svc.cluster.local", name("web.shop.svc.cluster.local")],
  // case and trailing dot
  ["WEB.Shop.", name("web.shop.svc.cluster.local")],
  ["web.shop.svc.cluster.local.", name("web.shop.svc.cluster.local")],
  ["Web.Shop.SVC.Cluster.Local", name("web.shop.svc.cluster.local")],
  // a service in a namespace nobody knows is someone else's name
  ["web.unknown", undefined],
  ["web.unknown.svc", name("web.unknown.svc.cluster.local")],
  // headless pod names
  ["web-0.web.shop", name("web-0.web.shop.svc.cluster.local")],
  ["web-0.web.shop.svc", name("web-0.web.shop.svc.cluster.local")],
  ["web-0.web.shop.svc.cluster.local", name("web-0.web.shop.svc.cluster.local")],
  ["web-0.web.unknown", undefined],
  // pod IP names
  ["10-1-2-3.shop.pod", name("10-1-2-3.shop.pod.cluster.local")],
  ["10-1-2-3.shop.pod.cluster.local", name("10-1-2-3.shop.pod.cluster.local")],
  // SRV names
  ["_http._tcp.web.shop.svc.cluster.local", srv("web.shop.svc.cluster.local", "http")],
  [
    "_dns._udp.kube-dns.shop.svc.cluster.local.",
    srv("kube-dns.shop.svc.cluster.local", "dns", "UDP"),
  ],
  ["_http._tcp.web.shop", srv("web.shop.svc.cluster.local", "http")],
  ["_http._tcp.web.shop.svc", srv("web.shop.svc.cluster.local", "http")],
  ["_http._tcp.web", srv("web.default.svc.cluster.local", "http")],
  ["_HTTP._TCP.Web.Shop", srv("web.shop.svc.cluster.local", "http")],
  ["_http._sctp.web.shop", undefined],
  ["_http._tcp.web.unknown", undefined],
  ["_http._tcp.10-1-2-3.shop.pod", undefined],
  // other names in the cluster domain are still ours; the resolver says NXDOMAIN
  ["cluster.local", name("cluster.local")],
  ["shop.svc.cluster.local", name("shop.svc.cluster.local")],
  ["_http._tcp.cluster.local", name("_http._tcp.cluster.local")],
  // ... unless no Kubernetes object could have it: such bytes are forwarded untouched
  ["caf\u00e9.shop.svc.cluster.local", undefined],
  ["a b.shop.svc.cluster.local", undefined],
  // everything else goes upstream
  ["example.com", undefined],
  ["www.example.com.", undefined],
  ["localhost", undefined],
  ["a.b.c.d.e", undefined],
  ["web.shop.svc.cluster", undefined],
  ["cluster.local.example.com", undefined],
  ["under_score", undefined],
  ["-web", undefined],
  ["web..shop", undefined],
  ["", undefined],
  [".", undefined],
  ["x".repeat(64), undefined],
  [`${"a".repeat(60)}.`.repeat(5), undefined],
  ["1.0.241.127.in-addr.arpa", undefined],
  ["__proto__._tcp.web", undefined],
  ["_x.__proto__.web", undefined],
];

for (const [query, expected] of cases) {
  Deno.test(`ClusterNames.classify("${query.slice(0, 40)}") is ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(names.classify(query), expected);
  });
}

Deno.test("ClusterNames takes a single label into the configured default namespace", () => {
  const custom = new ClusterNames({ defaultNamespace: "Team-A", clusterDomain: "corp.internal." });
  assert.deepEqual(custom.classify("web"), name("web.team-a.svc.corp.internal", true));
  assert.deepEqual(custom.classify("web.team-a"), name("web.team-a.svc.corp.internal"));
  assert.equal(custom.classify("web.shop"), undefined);
  assert.equal(custom.classify("web.shop.svc.cluster.local"), undefined);
  assert.equal(custom.clusterDomain, "corp.internal");
});

Deno.test("ClusterNames asks for the namespaces on every query, since they change", () => {
  const known = new Set<string>();
  const dynamic = new ClusterNames({ isNamespace: (ns) => known.has(ns) });
  assert.equal(dynamic.classify("web.shop"), undefined);
  known.add("shop");
  assert.deepEqual(dynamic.classify("web.shop"), name("web.shop.svc.cluster.local"));
});

const reverseCases: [string, string | undefined][] = [
  ["1.0.241.127.in-addr.arpa", "127.241.0.1"],
  ["1.0.241.127.IN-ADDR.ARPA.", "127.241.0.1"],
  ["255.255.255.255.in-addr.arpa", "255.255.255.255"],
  ["0.241.127.in-addr.arpa", undefined],
  ["256.0.241.127.in-addr.arpa", undefined],
  ["01.0.241.127.in-addr.arpa", undefined],
  ["a.0.241.127.in-addr.arpa", undefined],
  ["1.0.241.127.ip6.arpa", undefined],
  ["web.shop", undefined],
];

for (const [query, expected] of reverseCases) {
  Deno.test(`parseReverseName("${query}") is ${expected}`, () => {
    assert.equal(parseReverseName(query), expected);
  });
}
