// The manager's wiring of the agent arrival timeout: a daemon learns that its intercept failed
// when the injected agent never connects.
import assert from "node:assert/strict";
import { ManagerClient } from "../../../cli/daemon/manager_client.ts";
import { FakeClock } from "../../../tunnel/clock.ts";
import { dialTcp } from "../../../tunnel/dial.ts";
import { LevelSwitch, MemoryLogger } from "../../../tunnel/log.ts";
import { ManagerServer } from "../server.ts";

Deno.test("a daemon's intercept fails when the injected agent does not connect within agentArrivalMs", async () => {
  const clock = new FakeClock();
  const injected = Promise.withResolvers<void>();
  await using manager = ManagerServer.start({
    hostname: "127.0.0.1",
    daemonPort: 0,
    agentPort: 0,
    apiPort: 0,
    logger: new MemoryLogger(),
    levels: new LevelSwitch("debug"),
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
  const client = new ManagerClient({
    connect: () => dialTcp("127.0.0.1", manager.ports.daemon),
    user: "ana",
    host: "laptop",
    namespaces: ["shop"],
    logger: new MemoryLogger(),
  });
  await using _ = Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
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
