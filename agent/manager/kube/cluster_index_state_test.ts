import assert from "node:assert/strict";
import { answerFor } from "../../../cluster/lookup/answer.ts";
import { IndexState } from "./cluster_index_state.ts";

const DOMAIN = "cluster.local";

function service(namespace: string, name: string, spec: Record<string, unknown>) {
  return { metadata: { name, namespace, resourceVersion: "1" }, spec };
}

function slice(
  namespace: string,
  name: string,
  serviceName: string | undefined,
  endpoints: { addresses: string[]; hostname?: string; ready?: boolean | null }[],
) {
  return {
    metadata: {
      name,
      namespace,
      labels: serviceName ? { "kubernetes.io/service-name": serviceName } : {},
    },
    addressType: "IPv4",
    endpoints: endpoints.map(({ ready, ...rest }) => ({ ...rest, conditions: { ready } })),
  };
}

const web = service("shop", "web", {
  type: "ClusterIP",
  clusterIP: "10.96.0.20",
  clusterIPs: ["10.96.0.20"],
  ports: [
    { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
    { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
  ],
});
const db = service("shop", "db", {
  clusterIP: "None",
  clusterIPs: ["None"],
  ports: [{ port: 5432, protocol: "TCP" }],
});

function shop(): IndexState {
  const state = new IndexState();
  state.apply("Namespace", "ADDED", { metadata: { name: "shop" } });
  state.apply("Service", "ADDED", web);
  state.apply("Service", "ADDED", db);
  state.apply(
    "EndpointSlice",
    "ADDED",
    slice("shop", "db-abc", "db", [
      { addresses: ["10.244.0.7"], hostname: "db-0", ready: true },
      { addresses: ["10.244.0.8"], hostname: "db-1", ready: false },
    ]),
  );
  return state;
}

Deno.test("IndexState.apply() keeps a Service's cluster IPs and ports", () => {
  const state = shop();
  assert.deepEqual(state.service("shop", "web"), {
    clusterIPs: ["10.96.0.20"],
    headless: false,
    ports: [
      { name: "http", port: 80, protocol: "TCP" },
      { name: "dns", port: 53, protocol: "UDP" },
    ],
  });
  assert.deepEqual(state.service("shop", "db"), {
    clusterIPs: [],
    headless: true,
    ports: [{ port: 5432, protocol: "TCP" }],
  });
});

Deno.test("IndexState.apply() replaces a modified Service and forgets a deleted one", () => {
  const state = shop();
  state.apply(
    "Service",
    "MODIFIED",
    service("shop", "web", { clusterIP: "10.96.0.20", ports: [{ port: 8443 }] }),
  );
  assert.deepEqual(state.service("shop", "web")?.ports, [{ port: 8443, protocol: "TCP" }]);
  state.apply("Service", "DELETED", service("shop", "web", {}));
  assert.equal(state.service("shop", "web"), undefined);
  assert.equal(answerFor("web.shop.svc.cluster.local", state, DOMAIN).kind, "none");
});

Deno.test("IndexState gathers a Service's endpoints from all its slices and drops a deleted slice's", () => {
  const state = shop();
  state.apply("EndpointSlice", "ADDED", slice("shop", "db-v6", "db", [{ addresses: ["fd00::7"] }]));
  assert.deepEqual(
    state.endpoints("shop", "db").flatMap((e) => e.addresses).sort(),
    ["10.244.0.7", "10.244.0.8", "fd00::7"],
  );
  // Readiness left unknown counts as ready, as the API says.
  assert.equal(
    state.endpoints("shop", "db").find((e) => e.addresses[0] === "fd00::7")?.ready,
    true,
  );
  state.apply("EndpointSlice", "DELETED", slice("shop", "db-abc", "db", []));
  assert.deepEqual(state.endpoints("shop", "db").flatMap((e) => e.addresses), ["fd00::7"]);
  state.apply("EndpointSlice", "DELETED", slice("shop", "db-v6", "db", []));
  assert.deepEqual(state.endpoints("shop", "db"), []);
});

Deno.test("IndexState ignores slices of no Service and objects without a name", () => {
  const state = new IndexState();
  state.apply(
    "EndpointSlice",
    "ADDED",
    slice("shop", "manual", undefined, [{ addresses: ["10.0.0.1"] }]),
  );
  state.apply("Service", "ADDED", { metadata: { namespace: "shop" }, spec: {} });
  state.apply("Service", "ADDED", undefined);
  assert.deepEqual(state.sizes, { Service: 0, EndpointSlice: 0, Namespace: 0 });
});

Deno.test("IndexState.apply() tracks namespaces as they come and go", () => {
  const state = shop();
  assert.equal(state.hasNamespace("shop"), true);
  assert.equal(state.hasNamespace("elsewhere"), false);
  state.apply("Namespace", "DELETED", { metadata: { name: "shop" } });
  assert.equal(state.hasNamespace("shop"), false);
});

Deno.test("IndexState limited to namespaces knows only those and ignores objects elsewhere", () => {
  const state = new IndexState({ namespaces: ["shop"] });
  state.apply("Service", "ADDED", web);
  state.apply("Service", "ADDED", service("other", "web", { clusterIP: "10.96.0.99", ports: [] }));
  assert.equal(state.hasNamespace("shop"), true);
  assert.equal(state.hasNamespace("other"), false);
  assert.ok(state.service("shop", "web"));
  assert.equal(state.service("other", "web"), undefined);
});

Deno.test("IndexState.replace() drops what a relist lacks, only in the listed namespace", () => {
  const state = shop();
  state.apply("Service", "ADDED", service("other", "api", { clusterIP: "10.96.0.30", ports: [] }));
  state.replace("Service", "shop", [web]);
  assert.ok(state.service("shop", "web"));
  assert.equal(state.service("shop", "db"), undefined);
  assert.ok(state.service("other", "api"), "another namespace's Service stays");
  state.replace("Service", undefined, []);
  assert.equal(state.sizes.Service, 0);
  state.replace("EndpointSlice", undefined, []);
  assert.deepEqual(state.endpoints("shop", "db"), []);
  state.replace("Namespace", undefined, [{ metadata: { name: "new" } }]);
  assert.equal(state.hasNamespace("shop"), false);
  assert.equal(state.hasNamespace("new"), true);
});

Deno.test("IndexState keeps an ExternalName Service's target", () => {
  const state = new IndexState();
  state.apply(
    "Service",
    "ADDED",
    service("shop", "mail", {
      type: "ExternalName",
      externalName: "mx.example.org",
      ports: [{ port: 25 }],
    }),
  );
  assert.deepEqual(state.service("shop", "mail"), {
    clusterIPs: [],
    headless: false,
    ports: [{ port: 25, protocol: "TCP" }],
    externalName: "mx.example.org",
  });
});

Deno.test("lookups through the index answer a Service with its ports", () => {
  assert.deepEqual(answerFor("web.shop.svc.cluster.local", shop(), DOMAIN), {
    canonical: "web.shop.svc.cluster.local",
    kind: "service",
    addresses: ["10.96.0.20"],
    ports: [
      { name: "http", port: 80, protocol: "TCP" },
      { name: "dns", port: 53, protocol: "UDP" },
    ],
    ttl: 30,
  });
});

Deno.test("lookups through the index answer a headless Service with its ready endpoints", () => {
  const answer = answerFor("db.shop.svc.cluster.local", shop(), DOMAIN);
  assert.equal(answer.kind, "headless");
  assert.deepEqual(answer.addresses, ["10.244.0.7"]);
  assert.deepEqual(answer.ports, [{ port: 5432, protocol: "TCP" }]);
});

Deno.test("lookups through the index answer a StatefulSet pod by its hostname", () => {
  const state = shop();
  assert.deepEqual(answerFor("db-0.db.shop.svc.cluster.local", state, DOMAIN).addresses, [
    "10.244.0.7",
  ]);
  assert.equal(answerFor("db-0.db.shop.svc.cluster.local", state, DOMAIN).kind, "pod");
  assert.equal(answerFor("db-7.db.shop.svc.cluster.local", state, DOMAIN).kind, "none");
});

Deno.test("lookups through the index say none in an unknown namespace", () => {
  const state = shop();
  assert.equal(answerFor("web.elsewhere.svc.cluster.local", state, DOMAIN).kind, "none");
  assert.equal(answerFor("10-244-0-7.elsewhere.pod.cluster.local", state, DOMAIN).kind, "none");
  assert.equal(answerFor("10-244-0-7.shop.pod.cluster.local", state, DOMAIN).kind, "pod");
});
