import assert from "node:assert/strict";
import { type Hello, Role } from "./frame.ts";
import { negotiate, roleName } from "./handshake.ts";
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, TPX_VERSION } from "./version.ts";

function hello(role: Role, minProtocol: number, maxProtocol: number, software: string): Hello {
  return { role, minProtocol, maxProtocol, software };
}

Deno.test("negotiate() picks the newest protocol both peers speak", () => {
  const manager = hello(Role.Manager, 1, 4, "0.4.0");
  assert.deepEqual(negotiate(manager, hello(Role.Daemon, 2, 3, "0.3.0")), {
    ok: true,
    protocol: 3,
  });
  assert.deepEqual(negotiate(manager, hello(Role.Daemon, 3, 7, "0.7.0")), {
    ok: true,
    protocol: 4,
  });
  assert.deepEqual(negotiate(manager, hello(Role.Agent, 4, 4, "0.4.0")), { ok: true, protocol: 4 });
  assert.deepEqual(negotiate(manager, hello(Role.Daemon, 1, 1, "0.1.0")), {
    ok: true,
    protocol: 1,
  });
});

Deno.test("negotiate() gives both sides the same answer", () => {
  for (const [a, b] of [[1, 3], [2, 2], [2, 5], [4, 6], [6, 9]] as const) {
    const local = hello(Role.Manager, 2, 5, "0.5.0");
    const remote = hello(Role.Daemon, a, b, "x");
    assert.deepEqual(negotiate(local, remote), negotiate(remote, local), `${a}-${b}`);
  }
});

Deno.test("negotiate() agrees between two peers of this build", () => {
  const ours = (role: Role) => hello(role, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, TPX_VERSION);
  assert.deepEqual(negotiate(ours(Role.Manager), ours(Role.Daemon)), {
    ok: true,
    protocol: PROTOCOL_VERSION,
  });
});

Deno.test("negotiate() refuses an older daemon, naming both sides and the fix", () => {
  const result = negotiate(hello(Role.Manager, 3, 4, "0.4.0"), hello(Role.Daemon, 1, 2, "0.2.0"));
  assert.deepEqual(result, {
    ok: false,
    reason:
      "The daemon tpx 0.2.0 (protocol 1-2) is too old for the manager tpx 0.4.0 (protocol 3-4): " +
      'upgrade the daemon to tpx 0.4.0 (install the newer tpx binary and run "tpx quit" then ' +
      '"tpx connect"; or "tpx manager upgrade" with this tpx moves the manager to its version)',
  });
});

Deno.test("negotiate() refuses an older manager, naming both sides and the fix", () => {
  const result = negotiate(hello(Role.Manager, 1, 1, "0.1.0"), hello(Role.Daemon, 2, 2, "0.2.0"));
  assert.deepEqual(result, {
    ok: false,
    reason:
      "The manager tpx 0.1.0 (protocol 1) is too old for the daemon tpx 0.2.0 (protocol 2): " +
      'upgrade the manager to tpx 0.2.0 (run "tpx manager upgrade")',
  });
});

Deno.test("negotiate() refuses an older agent, naming both sides and the fix", () => {
  const result = negotiate(hello(Role.Manager, 2, 3, "0.3.0"), hello(Role.Agent, 1, 1, "0.1.0"));
  assert.ok(!result.ok);
  assert.equal(
    result.reason,
    "The agent tpx 0.1.0 (protocol 1) is too old for the manager tpx 0.3.0 (protocol 2-3): " +
      'upgrade the agent to tpx 0.3.0 (run "tpx manager upgrade", which also replaces the agents)',
  );
});

Deno.test("negotiate() gives the same reason whichever side computes it", () => {
  const manager = hello(Role.Manager, 1, 1, "0.1.0");
  const daemon = hello(Role.Daemon, 2, 2, "0.2.0");
  assert.deepEqual(negotiate(manager, daemon), negotiate(daemon, manager));
});

Deno.test("roleName() names every role", () => {
  assert.deepEqual([Role.Daemon, Role.Agent, Role.Manager].map(roleName), [
    "daemon",
    "agent",
    "manager",
  ]);
});
