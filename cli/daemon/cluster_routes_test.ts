import assert from "node:assert/strict";
import { LoopbackPool } from "../../tunnel/dns/mod.ts";
import { MemoryLogger } from "../../tunnel/log.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { ClusterRoutes } from "./cluster_routes.ts";
import type { LookupResult } from "./manager_client.ts";

/** A free TCP port on 127.0.0.1, and (so likely) on the rest of 127/8. */
function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

function routesFor(port: number): ClusterRoutes {
  const answer: LookupResult = {
    type: "lookupResult",
    id: 1,
    canonical: "web.shop.svc.cluster.local",
    kind: "service",
    addresses: ["10.96.0.20"],
    ports: [{ name: "http", port, protocol: "TCP" }],
    ttl: 30,
  };
  return new ClusterRoutes({
    lookup: () => Promise.resolve(answer),
    opener: { open: () => Promise.reject(new TpxError("cluster", "no tunnel in this test")) },
    // Both daemons' pools start at the same address, as two users' daemons do.
    pool: new LoopbackPool("127.243.0.0/24"),
    logger: new MemoryLogger(),
  });
}

Deno.test("ClusterRoutes gives a service its loopback address and listens on its ports", async () => {
  const port = freePort();
  await using routes = routesFor(port);
  const answer = await routes.resolve("web.shop.svc.cluster.local");
  assert.deepEqual(answer?.ipv4, ["127.243.0.1"]);
  assert.deepEqual(routes.routes.map((r) => [r.address, r.target, r.ports]), [[
    "127.243.0.1",
    "10.96.0.20",
    [{ port, protocol: "TCP", listening: true }],
  ]]);
  assert.equal(routes.clusterTarget("127.243.0.1"), "10.96.0.20");
  assert.equal(routes.reverse("127.243.0.1"), "web.shop.svc.cluster.local");
});

Deno.test("ClusterRoutes moves to the next address when another daemon already listens there", async () => {
  const port = freePort();
  await using first = routesFor(port);
  await using second = routesFor(port);
  assert.deepEqual((await first.resolve("web.shop.svc.cluster.local"))?.ipv4, ["127.243.0.1"]);
  assert.deepEqual((await second.resolve("web.shop.svc.cluster.local"))?.ipv4, ["127.243.0.2"]);
  assert.equal(second.routes[0]?.ports[0]?.listening, true);
});
