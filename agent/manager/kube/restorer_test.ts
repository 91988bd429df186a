// In-process tests of restoring on request: a manager on loopback with a fake injection, and
// daemons that are real ManagerClients over TCP.
import assert from "node:assert/strict";
import { type InterceptSpec, TpxError } from "../../../tunnel/protocol/mod.ts";
import { fixture } from "../state/_testing.ts";
import { loopbackDaemon, loopbackManager } from "./_test_manager.ts";
import type { AgentRemoval, InjectedWorkload } from "./injector.ts";
import type { AgentInjection } from "./provisioner.ts";
import { Restorer } from "./restorer.ts";

/** An injection whose cluster holds `injected`; removals may be held until released. */
class FakeInjection implements AgentInjection {
  readonly calls: string[] = [];
  /** Removals wait for this when set. */
  hold: Promise<void> | undefined;
  /** Resolves when a removal started. */
  removalStarted = Promise.withResolvers<void>();
  /** @param injected the workloads the cluster holds with an agent */
  constructor(public injected: InjectedWorkload[] = []) {}
  ensureAgent(namespace: string, workload: string) {
    this.calls.push(`ensure ${namespace}/${workload}`);
    return Promise.resolve();
  }
  async removeAgent(namespace: string, workload: string, kind?: string): Promise<AgentRemoval> {
    this.calls.push(`remove ${namespace}/${workload}`);
    this.removalStarted.resolve();
    await this.hold;
    const found = this.injected.find((w) => w.namespace === namespace && w.workload === workload);
    this.injected = this.injected.filter((w) => w !== found);
    return {
      kind: found?.kind ?? (kind as AgentRemoval["kind"] | undefined) ?? "Deployment",
      restored: found !== undefined,
    };
  }
  listInjected(namespaces: readonly string[] | undefined) {
    this.calls.push(`list ${namespaces?.join(",") ?? "*"}`);
    return Promise.resolve(
      this.injected.filter((w) => namespaces === undefined || namespaces.includes(w.namespace)),
    );
  }
}

function spec(name: string, workload = "web"): InterceptSpec {
  return { name, namespace: "shop", workload, filters: [] };
}

const web: InjectedWorkload = { kind: "Deployment", namespace: "shop", workload: "web" };
const local = { host: "127.0.0.1", port: 1 };

type Daemon = ReturnType<typeof loopbackDaemon>;

/** Starts ana and bob, each with an intercept (named in `names`) of web for its own x-user. */
async function bothOnWeb(
  { ana, bob }: { ana: Daemon; bob: Daemon },
  names: { ana: string; bob: string },
): Promise<void> {
  await ana.start();
  await bob.start();
  await ana.createIntercept({ ...spec(names.ana), filters: [header("x-user", "ana")] }, local);
  await bob.createIntercept({ ...spec(names.bob), filters: [header("x-user", "bob")] }, local);
}

Deno.test("removeIntercept() with restore answers only once the workload is restored", async () => {
  const injection = new FakeInjection([web]);
  const hold = Promise.withResolvers<void>();
  injection.hold = hold.promise;
  await using manager = loopbackManager({ injection });
  await using ana = loopbackDaemon(manager, "ana");
  await ana.start();
  await ana.createIntercept(spec("web"), local);
  let answered = false;
  const leaving = ana.removeIntercept("web", { restore: true }).finally(() => answered = true);
  await injection.removalStarted.promise;
  assert.equal(answered, false, "no answer while the removal runs");
  hold.resolve();
  assert.deepEqual(await leaving, { restored: [web], refused: [] });
  assert.deepEqual(injection.injected, []);
  assert.deepEqual(ana.intercepts, []);
});

Deno.test("removeIntercept() without restore leaves the agent to the idle timer", async () => {
  const injection = new FakeInjection([web]);
  await using manager = loopbackManager({ injection });
  await using ana = loopbackDaemon(manager, "ana");
  await ana.start();
  await ana.createIntercept(spec("web"), local);
  assert.equal(await ana.removeIntercept("web"), undefined);
  assert.deepEqual(injection.calls, ["ensure shop/web"]);
});

Deno.test("removeIntercept() with restore does not restore a workload another intercept uses", async () => {
  const injection = new FakeInjection([web]);
  await using manager = loopbackManager({ injection });
  await using ana = loopbackDaemon(manager, "ana");
  await using bob = loopbackDaemon(manager, "bob", "desk");
  await bothOnWeb({ ana, bob }, { ana: "ana", bob: "bob" });
  const result = await ana.removeIntercept("ana", { restore: true });
  assert.deepEqual(result?.restored, []);
  assert.equal(result?.refused.length, 1);
  const [refused] = result!.refused;
  assert.equal(refused?.workload, "web");
  assert.equal(refused?.error.code, "workload_in_use");
  assert.match(refused?.error.message ?? "", /intercept "bob" of "bob@desk" uses it/);
  assert.equal(
    refused?.error.hint,
    'ask bob@desk to run "tpx leave bob", or wait until their session ends',
  );
  assert.deepEqual(ana.intercepts, [], "the intercept is removed in every case");
  assert.ok(!injection.calls.some((c) => c.startsWith("remove")));
});

Deno.test("restoreWorkloads() of one workload removes the caller's intercepts on it first", async () => {
  const injection = new FakeInjection([web]);
  await using manager = loopbackManager({ injection });
  await using ana = loopbackDaemon(manager, "ana");
  await ana.start();
  await ana.createIntercept({ ...spec("one"), filters: [header("x", "1")] }, local);
  await ana.createIntercept({ ...spec("two"), filters: [header("x", "2")] }, local);
  await ana.createIntercept(spec("db", "db"), local);
  const result = await ana.restoreWorkloads({ namespace: "shop", workload: "web" });
  assert.deepEqual(result, { restored: [web], refused: [] });
  assert.deepEqual(ana.intercepts.map((i) => i.spec.name), ["db"]);
  assert.deepEqual(manager.state.listing().intercepts.map((i) => i.spec.name), ["db"]);
});

Deno.test("restoreWorkloads() refuses a workload another session intercepts, naming the holder", async () => {
  const db: InjectedWorkload = { kind: "StatefulSet", namespace: "shop", workload: "db" };
  const injection = new FakeInjection([web, db]);
  await using manager = loopbackManager({ injection });
  await using ana = loopbackDaemon(manager, "ana");
  await using bob = loopbackDaemon(manager, "bob", "desk");
  await bothOnWeb({ ana, bob }, { ana: "mine", bob: "theirs" });
  const result = await ana.restoreWorkloads({ all: true });
  assert.deepEqual(result.restored, [db]);
  assert.equal(result.refused.length, 1);
  const [refused] = result.refused;
  assert.deepEqual(
    { kind: refused?.kind, workload: refused?.workload, code: refused?.error.code },
    { kind: "Deployment", workload: "web", code: "workload_in_use" },
  );
  assert.match(refused?.error.message ?? "", /"theirs" of "bob@desk"/);
  assert.match(refused?.error.hint ?? "", /ask bob@desk to run "tpx leave theirs"/);
  assert.deepEqual(
    ana.intercepts.map((i) => i.spec.name),
    ["mine"],
    "the caller's intercept on a refused workload stays",
  );
  assert.deepEqual(bob.intercepts.map((i) => i.spec.name), ["theirs"]);
});

Deno.test("restoreWorkloads({all}) restores what the cluster lists, also workloads this manager never saw", async () => {
  const other: InjectedWorkload = { kind: "ReplicaSet", namespace: "dev", workload: "api" };
  const injection = new FakeInjection([web, other]);
  await using manager = loopbackManager({ injection, managedNamespaces: ["shop", "dev"] });
  await using ana = loopbackDaemon(manager, "ana");
  await ana.start();
  const inShop = await ana.restoreWorkloads({ all: true, namespace: "shop" });
  assert.deepEqual(inShop, { restored: [web], refused: [] });
  const everywhere = await ana.restoreWorkloads({ all: true });
  assert.deepEqual(everywhere, { restored: [other], refused: [] });
  assert.deepEqual(injection.calls, [
    "list shop",
    "remove shop/web",
    "list shop,dev",
    "remove dev/api",
  ]);
});

Deno.test("restoreWorkloads() refuses a namespace the manager does not manage", async () => {
  await using manager = loopbackManager({
    injection: new FakeInjection(),
    managedNamespaces: ["shop"],
  });
  await using ana = loopbackDaemon(manager, "ana");
  await ana.start();
  await assert.rejects(
    () => ana.restoreWorkloads({ namespace: "kube-system", workload: "coredns" }),
    (error: unknown) =>
      error instanceof TpxError && error.code === "namespace_not_managed" &&
      /"kube-system": this manager does not manage it/.test(error.message),
  );
});

Deno.test("restoreWorkloads() on a manager without injection fails as a config error", async () => {
  await using manager = loopbackManager();
  await using ana = loopbackDaemon(manager, "ana");
  await ana.start();
  await assert.rejects(
    () => ana.restoreWorkloads({ all: true }),
    (error: unknown) =>
      error instanceof TpxError && error.code === "restore_unavailable" &&
      error.category === "config",
  );
});

Deno.test("restoreWorkloads() reports a workload with nothing to restore as refused", async () => {
  const injection = new FakeInjection();
  await using manager = loopbackManager({ injection });
  await using ana = loopbackDaemon(manager, "ana");
  await ana.start();
  const result = await ana.restoreWorkloads({ namespace: "shop", workload: "web" });
  assert.deepEqual(result.restored, []);
  assert.equal(result.refused[0]?.error.code, "workload_not_injected");
  assert.match(result.refused[0]?.error.message ?? "", /Nothing to restore in deployment\/web/);
});

function header(name: string, value: string) {
  return { on: "header" as const, name, match: "exact" as const, value };
}

Deno.test("restore() refuses a target that names neither one workload nor all", async () => {
  using f = fixture();
  const restorer = new Restorer({
    state: f.state,
    provisioner: undefined,
    injection: undefined,
    scope: undefined,
    logger: f.logger,
  });
  for (
    const target of [{}, { workload: "web" }, { namespace: "shop" }, {
      namespace: "shop",
      workload: "web",
      all: true,
    }]
  ) {
    await assert.rejects(
      () => restorer.restore("s-1", target),
      (error: unknown) => error instanceof TpxError && error.code === "invalid_restore",
      JSON.stringify(target),
    );
  }
});

Deno.test("removeIntercept() with restore on a manager without injection removes it and says why nothing was restored", async () => {
  await using manager = loopbackManager();
  await using ana = loopbackDaemon(manager, "ana");
  await ana.start();
  await ana.createIntercept(spec("web"), local);
  const result = await ana.removeIntercept("web", { restore: true });
  assert.deepEqual(result?.restored, []);
  assert.equal(result?.refused[0]?.error.code, "restore_unavailable");
  assert.deepEqual(manager.state.listing().intercepts, []);
});
