// The index wired into the manager as main.ts does it: /readyz waits for the first lists, and
// a daemon's lookup is answered from the index, with the Service's ports.
import assert from "node:assert/strict";
import { Backoff } from "../../../tunnel/backoff.ts";
import { FakeClock } from "../../../tunnel/clock.ts";
import { MemoryLogger } from "../../../tunnel/log.ts";
import { indexLookup } from "../lookup.ts";
import { loopbackDaemon, loopbackManager } from "./_test_manager.ts";
import { WatchedClusterIndex } from "./cluster_index.ts";
import type { ListResult, WatchSource } from "./cluster_index_watch.ts";

/** A source whose first list waits until the test lets it answer. */
function heldSource(description: string, items: unknown[]) {
  const { promise, resolve } = Promise.withResolvers<ListResult>();
  const source: WatchSource = {
    description,
    list: () => promise,
    watch: () => Promise.resolve(() => {}),
  };
  return { source, release: () => resolve({ items, resourceVersion: "1" }) };
}

Deno.test("the manager is ready once the index has listed, and answers lookups from it with ports", async () => {
  const services = heldSource('services in "shop"', [{
    metadata: { name: "web", namespace: "shop", resourceVersion: "1" },
    spec: { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, protocol: "TCP" }] },
  }]);
  const slices = heldSource('endpointslices in "shop"', []);
  const clock = new FakeClock();
  const index = new WatchedClusterIndex([
    { kind: "Service", namespace: "shop", source: services.source },
    { kind: "EndpointSlice", namespace: "shop", source: slices.source },
  ], {
    namespaces: ["shop"],
    logger: new MemoryLogger(),
    clock,
    backoff: () => new Backoff({ jitter: 0 }),
  });
  clock.advance(0);
  await using manager = loopbackManager({
    lookup: indexLookup({ index, clusterDomain: "cluster.local" }),
    readiness: index,
  });
  const readyz = async () => {
    const response = await fetch(`http://127.0.0.1:${manager.ports.api}/readyz`);
    return `${response.status} ${await response.text()}`;
  };
  try {
    assert.equal(
      await readyz(),
      '503 not ready: waiting for the first list of services in "shop", endpointslices in "shop"',
    );
    services.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(
      await readyz(),
      '503 not ready: waiting for the first list of endpointslices in "shop"',
    );
    slices.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(await readyz(), "200 ready");

    await using daemon = loopbackDaemon(manager);
    await daemon.start();
    const answer = await daemon.lookup("web.shop.svc.cluster.local");
    assert.equal(answer.kind, "service");
    assert.deepEqual(answer.addresses, ["10.96.0.20"]);
    assert.deepEqual(answer.ports, [{ name: "http", port: 80, protocol: "TCP" }]);
    assert.equal((await daemon.lookup("nope.shop.svc.cluster.local")).kind, "none");
  } finally {
    index.stop();
  }
});
