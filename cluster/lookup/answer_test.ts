import assert from "node:assert/strict";
import {
  answerFor,
  type ClusterIndex,
  type EndpointFacts,
  externalNameFor,
  MAX_ANSWER_ITEMS,
  type ServiceFacts,
} from "./answer.ts";

const services: Record<string, ServiceFacts> = {
  "shop/web": {
    clusterIPs: ["10.96.0.20"],
    headless: false,
    ports: [{ name: "http", port: 80, protocol: "TCP" }, {
      name: "dns",
      port: 53,
      protocol: "UDP",
    }],
  },
  "shop/db": { clusterIPs: [], headless: true, ports: [{ port: 5432 }] },
};
const endpoints: Record<string, EndpointFacts[]> = {
  "shop/db": [
    { addresses: ["10.244.0.7"], hostname: "db-0", ready: true },
    { addresses: ["10.244.0.8"], hostname: "db-1", ready: false },
  ],
};
const index: ClusterIndex = {
  service: (ns, name) => services[`${ns}/${name}`],
  endpoints: (ns, name) => endpoints[`${ns}/${name}`] ?? [],
  hasNamespace: (ns) => ns === "shop",
};

Deno.test("answerFor() gives a Service's cluster IP and its ports", () => {
  assert.deepEqual(answerFor("Web.Shop.svc.cluster.local.", index, "cluster.local"), {
    canonical: "web.shop.svc.cluster.local",
    kind: "service",
    addresses: ["10.96.0.20"],
    ports: [{ name: "http", port: 80, protocol: "TCP" }, {
      name: "dns",
      port: 53,
      protocol: "UDP",
    }],
    ttl: 30,
  });
});

Deno.test("answerFor() gives a headless Service's ready endpoints, and one of its pods by hostname", () => {
  const db = answerFor("db.shop.svc.cluster.local", index, "cluster.local");
  assert.equal(db.kind, "headless");
  assert.deepEqual(db.addresses, ["10.244.0.7"]);
  assert.deepEqual(db.ports, [{ port: 5432, protocol: "TCP" }]);
  const pod = answerFor("db-1.db.shop.svc.cluster.local", index, "cluster.local");
  assert.equal(pod.kind, "pod");
  assert.deepEqual(pod.addresses, ["10.244.0.8"]);
});

Deno.test("answerFor() resolves a pod by its dashed address in a known namespace", () => {
  const pod = answerFor("10-244-0-9.shop.pod.cluster.local", index, "cluster.local");
  assert.deepEqual(pod.addresses, ["10.244.0.9"]);
  assert.equal(
    answerFor("10-244-0-9.elsewhere.pod.cluster.local", index, "cluster.local").kind,
    "none",
  );
});

Deno.test("answerFor() says none for unknown services, other domains and odd shapes", () => {
  for (
    const name of [
      "nope.shop.svc.cluster.local",
      "web.shop.svc.example.org",
      "web.shop.cluster.local",
      "db-9.db.shop.svc.cluster.local",
      "x.web.shop.svc.cluster.local",
      "not-an-ip.shop.pod.cluster.local",
    ]
  ) {
    assert.equal(answerFor(name, index, "cluster.local").kind, "none", name);
  }
});

Deno.test("answerFor() accepts the short forms svc.ns and svc.ns.svc", () => {
  for (const name of ["web.shop", "web.shop.svc", "WEB.shop.svc."]) {
    const answer = answerFor(name, index, "cluster.local");
    assert.equal(answer.kind, "service", name);
    assert.equal(answer.canonical, "web.shop.svc.cluster.local", name);
  }
});

Deno.test("answerFor() honours another cluster domain", () => {
  assert.equal(answerFor("web.shop.svc.corp.example", index, "corp.example").kind, "service");
  assert.equal(answerFor("web.shop.svc.cluster.local", index, "corp.example").kind, "none");
});

Deno.test("externalNameFor() gives an ExternalName Service's target, which answerFor() leaves out", () => {
  const withExternal: ClusterIndex = {
    ...index,
    service: (ns, name) =>
      ns === "shop" && name === "mail"
        ? { clusterIPs: [], headless: false, ports: [{ port: 25 }], externalName: "mx.example.org" }
        : index.service(ns, name),
  };
  assert.deepEqual(externalNameFor("mail.shop.svc.cluster.local", withExternal, "cluster.local"), {
    canonical: "mail.shop.svc.cluster.local",
    externalName: "mx.example.org",
    ports: [{ port: 25, protocol: "TCP" }],
  });
  assert.equal(
    answerFor("mail.shop.svc.cluster.local", withExternal, "cluster.local").kind,
    "none",
  );
  assert.equal(
    externalNameFor("web.shop.svc.cluster.local", withExternal, "cluster.local"),
    undefined,
  );
});

Deno.test("answerFor() keeps a headless Service's answer within the wire limit", () => {
  const many: ClusterIndex = {
    service: () => ({ clusterIPs: [], headless: true, ports: [{ port: 80 }] }),
    endpoints: () =>
      Array.from({ length: 300 }, (_, i) => ({
        addresses: [`10.1.${i >> 8}.${i & 255}`],
        ready: true,
      })),
    hasNamespace: () => true,
  };
  const answer = answerFor("big.shop.svc.cluster.local", many, "cluster.local");
  assert.equal(answer.addresses.length, MAX_ANSWER_ITEMS);
});
