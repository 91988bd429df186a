import assert from "node:assert/strict";
import { FakeClock } from "../clock.ts";
import { ClusterLookup } from "./cluster_lookup.ts";
import type { ClusterAnswer, ClusterResolver } from "./resolver.ts";

const ANSWER: ClusterAnswer = { ipv4: ["127.241.0.1"], ipv6: [], ports: [], ttl: 30 };

function counting(answer: ClusterAnswer | undefined): ClusterResolver & { calls: number } {
  return {
    calls: 0,
    resolve() {
      this.calls++;
      return Promise.resolve(answer);
    },
    reverse: () => undefined,
  };
}

Deno.test("ClusterLookup serves a repeated name from the cache with the TTL left", async () => {
  const clock = new FakeClock();
  const resolver = counting(ANSWER);
  const lookup = new ClusterLookup({ resolver, now: () => clock.now() });
  const signal = new AbortController().signal;
  assert.deepEqual(await lookup.lookup("web.shop.svc.cluster.local", signal), {
    answer: ANSWER,
    ttl: 30,
  });
  clock.advance(12_500);
  assert.deepEqual(await lookup.lookup("web.shop.svc.cluster.local", signal), {
    answer: ANSWER,
    ttl: 18,
  });
  assert.equal(resolver.calls, 1);
});

Deno.test("ClusterLookup keeps no answer with a TTL of zero", async () => {
  const resolver = counting({ ...ANSWER, ttl: 0 });
  const lookup = new ClusterLookup({ resolver, now: () => 0 });
  const signal = new AbortController().signal;
  await lookup.lookup("web.shop.svc.cluster.local", signal);
  await lookup.lookup("web.shop.svc.cluster.local", signal);
  assert.equal(resolver.calls, 2);
});

Deno.test("ClusterLookup keeps 'no such name' for the negative TTL", async () => {
  const clock = new FakeClock();
  const resolver = counting(undefined);
  const lookup = new ClusterLookup({ resolver, now: () => clock.now(), negativeTtlSeconds: 2 });
  const signal = new AbortController().signal;
  assert.deepEqual(await lookup.lookup("nope.shop.svc.cluster.local", signal), {
    answer: undefined,
    ttl: 2,
  });
  await lookup.lookup("nope.shop.svc.cluster.local", signal);
  clock.advance(2_000);
  await lookup.lookup("nope.shop.svc.cluster.local", signal);
  assert.equal(resolver.calls, 2);
});

Deno.test("ClusterLookup gives up when the stub closes, even if the resolver never answers", async () => {
  let release!: () => void;
  const never = new Promise<undefined>((resolve) => release = () => resolve(undefined));
  const lookup = new ClusterLookup({
    resolver: { resolve: () => never, reverse: () => undefined },
    now: () => 0,
  });
  const closing = new AbortController();
  const pending = lookup.lookup("web.shop.svc.cluster.local", closing.signal);
  closing.abort(new Error("closing"));
  await assert.rejects(pending, /closing/);
  release();
});
