import assert from "node:assert/strict";
import { Backoff } from "../../../tunnel/backoff.ts";
import { FakeClock } from "../../../tunnel/clock.ts";
import { MemoryLogger } from "../../../tunnel/log.ts";
import type { ChangeType } from "./cluster_index_state.ts";
import {
  type ListResult,
  ListWatch,
  type WatchHandlers,
  type WatchSource,
} from "./cluster_index_watch.ts";

/** A source whose lists and watches the test answers. */
class FakeSource implements WatchSource {
  readonly description = "services";
  /** What the next lists answer; an Error fails the list. */
  lists: (ListResult | Error)[] = [];
  listCalls = 0;
  /** The resourceVersion of each watch started, in order. */
  readonly watchedFrom: string[] = [];
  current: WatchHandlers | undefined;
  stopped = 0;

  list(): Promise<ListResult> {
    this.listCalls++;
    const next = this.lists.shift() ?? new Error("no list prepared");
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }

  watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void> {
    this.watchedFrom.push(resourceVersion);
    this.current = handlers;
    return Promise.resolve(() => this.stopped++);
  }
}

function object(name: string, resourceVersion: string) {
  return { metadata: { name, namespace: "shop", resourceVersion } };
}

/** Lets the loop's promises settle. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function setup() {
  const clock = new FakeClock();
  const source = new FakeSource();
  const logger = new MemoryLogger();
  const replaced: string[][] = [];
  const applied: string[] = [];
  const loop = new ListWatch({
    source,
    replace: (items) =>
      replaced.push(items.map((i) => (i as ReturnType<typeof object>).metadata.name)),
    apply: (type: ChangeType, o) =>
      applied.push(`${type} ${(o as ReturnType<typeof object>).metadata.name}`),
    logger,
    clock,
    backoff: new Backoff({ initialMs: 500, maxMs: 4_000, jitter: 0 }),
    healthyWatchMs: 5_000,
  });
  const step = async (ms = 0) => {
    clock.advance(ms);
    await settle();
  };
  return { clock, source, logger, replaced, applied, loop, step };
}

/** A started loop whose first list was empty at resourceVersion "1": it now watches from "1". */
async function watchingFromEmptyList() {
  const fixture = setup();
  fixture.source.lists.push({ items: [], resourceVersion: "1" });
  fixture.loop.start();
  await fixture.step();
  return fixture;
}

Deno.test("ListWatch lists, then watches from the list's resourceVersion and applies events", async () => {
  const { source, replaced, applied, loop, step } = setup();
  source.lists.push({ items: [object("web", "10")], resourceVersion: "12" });
  assert.equal(loop.synced, false);
  loop.start();
  await step();
  assert.equal(loop.synced, true);
  assert.deepEqual(replaced, [["web"]]);
  assert.deepEqual(source.watchedFrom, ["12"]);
  source.current!.event("ADDED", object("api", "13"));
  source.current!.event("MODIFIED", object("web", "14"));
  source.current!.event("DELETED", object("api", "15"));
  source.current!.event("BOOKMARK", { metadata: { resourceVersion: "20" } });
  assert.deepEqual(applied, ["ADDED api", "MODIFIED web", "DELETED api"]);
  assert.equal(loop.resourceVersion, "20");
  loop.stop();
});

Deno.test("ListWatch resumes an ended watch from the last resourceVersion without listing", async () => {
  const { source, loop, step } = await watchingFromEmptyList();
  source.current!.event("ADDED", object("web", "5"));
  source.current!.done(null);
  await step();
  assert.equal(source.listCalls, 1);
  assert.deepEqual(source.watchedFrom, ["1", "5"]);
  // client-node's own inactivity timeout is an ordinary end too.
  source.current!.event("BOOKMARK", { metadata: { resourceVersion: "9" } });
  source.current!.done(Object.assign(new Error("aborted"), { name: "TimeoutError" }));
  await step();
  assert.deepEqual(source.watchedFrom, ["1", "5", "9"]);
  assert.equal(source.listCalls, 1);
  loop.stop();
});

Deno.test("ListWatch lists again after 410 Gone, as an event or as the watch's status", async () => {
  const { source, replaced, loop, step } = setup();
  source.lists.push(
    { items: [object("web", "1"), object("old", "1")], resourceVersion: "1" },
    { items: [object("web", "30")], resourceVersion: "30" },
    { items: [], resourceVersion: "40" },
  );
  loop.start();
  await step();
  source.current!.event("MODIFIED", object("web", "2"));
  source.current!.event("ERROR", { kind: "Status", code: 410, reason: "Expired" });
  assert.equal(loop.resourceVersion, "2", "an ERROR event moves nothing");
  source.current!.done(null);
  await step();
  assert.equal(source.listCalls, 2);
  assert.deepEqual(replaced, [["web", "old"], ["web"]]);
  assert.deepEqual(source.watchedFrom, ["1", "30"]);
  source.current!.event("BOOKMARK", { metadata: { resourceVersion: "31" } });
  source.current!.done(Object.assign(new Error("Gone"), { statusCode: 410 }));
  await step();
  assert.equal(source.listCalls, 3);
  assert.deepEqual(source.watchedFrom, ["1", "30", "40"]);
  loop.stop();
});

Deno.test("ListWatch retries a failed list with backoff, logs it and reports it until it succeeds", async () => {
  const { source, logger, loop, step } = setup();
  source.lists.push(new Error("connection refused"), new Error("connection refused"), {
    items: [],
    resourceVersion: "7",
  });
  loop.start();
  await step();
  assert.equal(source.listCalls, 1);
  assert.equal(loop.synced, false);
  assert.equal(loop.lastError, "listing failed: connection refused");
  assert.ok(logger.messages("warn").includes("listing failed; retrying"));
  await step(499);
  assert.equal(source.listCalls, 1, "no retry before the backoff delay");
  await step(1);
  assert.equal(source.listCalls, 2);
  await step(999);
  assert.equal(source.listCalls, 2, "the delay grows");
  await step(1);
  assert.equal(source.listCalls, 3);
  assert.equal(loop.synced, true);
  assert.equal(loop.lastError, undefined);
  assert.deepEqual(source.watchedFrom, ["7"]);
  loop.stop();
});

Deno.test("ListWatch backs off when watches fail or end at once, and not after a healthy one", async () => {
  const { source, loop, step } = await watchingFromEmptyList();
  source.current!.done(new Error("socket hang up"));
  await step(499);
  assert.equal(source.watchedFrom.length, 1);
  await step(1);
  assert.equal(source.watchedFrom.length, 2);
  source.current!.done(null); // At once, with nothing received: not a tight loop.
  await step(999);
  assert.equal(source.watchedFrom.length, 2);
  await step(1);
  assert.equal(source.watchedFrom.length, 3);
  await step(6_000); // This one lasts: its end resumes at once and resets the backoff.
  source.current!.done(null);
  await step();
  assert.equal(source.watchedFrom.length, 4);
  source.current!.done(new Error("socket hang up"));
  await step(500);
  assert.equal(source.watchedFrom.length, 5);
  assert.equal(source.listCalls, 1);
  loop.stop();
});

Deno.test("ListWatch lists again after the watch is refused with 401, to refresh the credential", async () => {
  const { source, loop, step } = setup();
  source.lists.push({ items: [], resourceVersion: "1" }, { items: [], resourceVersion: "2" });
  loop.start();
  await step();
  source.current!.done(Object.assign(new Error("Unauthorized"), { statusCode: 401 }));
  await step(500);
  assert.equal(source.listCalls, 2);
  assert.deepEqual(source.watchedFrom, ["1", "2"]);
  loop.stop();
});

Deno.test("ListWatch.stop() ends the watch, cancels retries and ignores late callbacks", async () => {
  const { clock, source, applied, loop, step } = await watchingFromEmptyList();
  const handlers = source.current!;
  loop.stop();
  assert.equal(source.stopped, 1);
  handlers.event("ADDED", object("late", "2"));
  handlers.done(new Error("aborted"));
  await step(60_000);
  assert.deepEqual(applied, []);
  assert.equal(source.watchedFrom.length, 1);
  assert.equal(clock.pending, 0);
});

Deno.test("ListWatch.stop() during a failed list's backoff leaves no timer", async () => {
  const { clock, source, loop, step } = setup();
  source.lists.push(new Error("forbidden"));
  loop.start();
  await step();
  assert.equal(clock.pending, 1);
  loop.stop();
  assert.equal(clock.pending, 0);
});

Deno.test("ListWatch logs an event it cannot apply and goes on with the next", async () => {
  const clock = new FakeClock();
  const source = new FakeSource();
  const logger = new MemoryLogger();
  const applied: string[] = [];
  const loop = new ListWatch({
    source,
    replace: () => {},
    apply: (_type, o) => {
      const name = (o as ReturnType<typeof object>).metadata.name;
      if (name === "odd") throw new TypeError("spec.ports is not iterable");
      applied.push(name);
    },
    logger,
    clock,
  });
  source.lists.push({ items: [], resourceVersion: "1" });
  loop.start();
  clock.advance(0);
  await settle();
  source.current!.event("ADDED", object("odd", "2"));
  source.current!.event("ADDED", object("web", "3"));
  assert.deepEqual(applied, ["web"]);
  assert.ok(logger.messages("error").includes("an event could not be applied"));
  assert.equal(loop.resourceVersion, "3");
  loop.stop();
});
