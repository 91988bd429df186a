import assert from "node:assert/strict";
import { silentLogger } from "../../../tunnel/log.ts";
import type { WatchHandlers, WatchSource } from "./cluster_index_watch.ts";
import { PodWatch } from "./pod_watch.ts";

/** A source whose list and watch the test drives by hand. */
function handSource() {
  let handlers: WatchHandlers | undefined;
  const watching = Promise.withResolvers<void>();
  const source: WatchSource = {
    description: "pods in a test",
    list: () => Promise.resolve({ items: [{ metadata: { name: "web-1" } }], resourceVersion: "1" }),
    watch: (_version, h) => {
      handlers = h;
      watching.resolve();
      return Promise.resolve(() => {});
    },
  };
  return {
    source,
    watching: watching.promise,
    send: (type: string, object: unknown) => handlers!.event(type, object),
  };
}

Deno.test("PodWatch wakes a waiter on each pod change and keeps the pods current", async () => {
  const { source, watching, send } = handSource();
  using watch = PodWatch.start({ source, logger: silentLogger });
  await watching;
  assert.equal(watch.synced, true);
  assert.deepEqual(watch.pods, [{ metadata: { name: "web-1" } }]);

  const woken = watch.changed(60_000);
  send("ADDED", { metadata: { name: "web-2" } });
  await woken;
  assert.deepEqual(watch.pods.map((p) => (p as { metadata: { name: string } }).metadata.name), [
    "web-1",
    "web-2",
  ]);

  const again = watch.changed(60_000);
  send("DELETED", { metadata: { name: "web-1" } });
  await again;
  assert.equal(watch.pods.length, 1);
});

Deno.test("PodWatch.changed() gives up at its deadline when nothing changes", async () => {
  const { source, watching } = handSource();
  using watch = PodWatch.start({ source, logger: silentLogger });
  await watching;
  const before = watch.pods.length;
  await watch.changed(10);
  assert.equal(watch.pods.length, before);
});
