// The manager's wiring of the agent arrival timeout: a daemon learns that its intercept failed
// when the injected agent never connects.
import assert from "node:assert/strict";
import { FakeClock } from "../../../tunnel/clock.ts";
import { loopbackDaemon, loopbackManager } from "./_test_manager.ts";

Deno.test("a daemon's intercept fails when the injected agent does not connect within agentArrivalMs", async () => {
  const clock = new FakeClock();
  const injected = Promise.withResolvers<void>();
  await using manager = loopbackManager({
    clock,
    leaseMs: 3_600_000,
    agentArrivalMs: 5_000,
    injection: {
      ensureAgent: () => {
        injected.resolve();
        return Promise.resolve({ kind: "Deployment", pods: ["web-5d9c7-abcde"] });
      },
      removeAgent: () => Promise.resolve(),
    },
  });
  await using client = loopbackDaemon(manager);
  await client.start();
  const failed = new Promise<string | undefined>((resolve) =>
    client.onIntercepts((list) => {
      if (list[0]?.state === "failed") resolve(list[0].detail);
    })
  );
  const leaseTimers = clock.pending;
  const created = await client.createIntercept(
    { name: "web", namespace: "shop", workload: "web", filters: [] },
    { host: "127.0.0.1", port: 1 },
  );
  assert.equal(created.state, "waiting");
  await injected.promise;
  // The injection's promise settles in the provisioner after ours: let it start its timer.
  for (let turn = 0; turn < 100 && clock.pending === leaseTimers; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.equal(clock.pending, leaseTimers + 1, "the arrival timeout runs");
  clock.advance(4_999);
  assert.equal(manager.state.interceptsOfSession(client.sessionId!)[0]?.state, "waiting");
  clock.advance(1);
  assert.match(
    await failed ?? "",
    /deployment\/web in namespace "shop" is running but did not connect to the manager within 5 s \(run "kubectl logs -n shop web-5d9c7-abcde -c tpx-agent"/,
  );
});
