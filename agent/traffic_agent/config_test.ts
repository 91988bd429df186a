import assert from "node:assert/strict";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { AgentEnv, readAgentConfig, splitHostPort } from "./config.ts";

const env = {
  [AgentEnv.ManagerAddress]: "tpx-manager.tpx-system:8081",
  [AgentEnv.Ports]: '[{"name":"http","appPort":8080,"agentPort":9900,"protocol":"TCP"}]',
  [AgentEnv.Namespace]: "shop",
  [AgentEnv.Workload]: "web",
  [AgentEnv.WorkloadKind]: "Deployment",
  [AgentEnv.Pod]: "web-7d9f-abcde",
  [AgentEnv.PodIp]: "10.244.0.7",
  [AgentEnv.Container]: "web",
  [AgentEnv.Mounts]: '["/var/run/secrets/kubernetes.io/serviceaccount"]',
  DATABASE_URL: "postgres://db.shop:5432/shop",
  // The Deno runtime's own (the image and the injection set them), not the app's.
  DENO_DIR: "/deno-dir",
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  DENO_V8_FLAGS: "--max-old-space-size=64",
};

Deno.test("readAgentConfig reads the injected variables and keeps the rest, but the Deno runtime's, as the app's env", () => {
  const config = readAgentConfig(env);
  assert.equal(config.managerHost, "tpx-manager.tpx-system");
  assert.equal(config.managerPort, 8081);
  assert.deepEqual(config.ports, [{
    name: "http",
    appPort: 8080,
    agentPort: 9900,
    protocol: "TCP",
  }]);
  assert.deepEqual(config.appEnv, { DATABASE_URL: "postgres://db.shop:5432/shop" });
  assert.deepEqual(config.mounts, ["/var/run/secrets/kubernetes.io/serviceaccount"]);
  assert.equal(config.listenHost, "0.0.0.0");
});

Deno.test("readAgentConfig names the missing or malformed variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ ...env, [AgentEnv.Namespace]: "" }, /TPX_NAMESPACE is not set/],
    [{ ...env, [AgentEnv.Ports]: "[" }, /TPX_AGENT_PORTS is not valid JSON/],
    [{ ...env, [AgentEnv.Ports]: "[]" }, /TPX_AGENT_PORTS lists no port/],
    [{ ...env, [AgentEnv.Ports]: '[{"appPort":0,"agentPort":1,"protocol":"TCP"}]' }, /item 0/],
    [{ ...env, [AgentEnv.WorkloadKind]: "DaemonSet" }, /"DaemonSet", not one of/],
    [{ ...env, [AgentEnv.ManagerAddress]: "manager" }, /"manager", not host:port/],
    [{ ...env, [AgentEnv.Mounts]: "[1]" }, /TPX_APP_MOUNTS is not a JSON array of paths/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => readAgentConfig(input),
      (e: unknown) => e instanceof TpxError && e.category === "config" && message.test(e.message),
      String(message),
    );
  }
});

Deno.test("splitHostPort accepts bracketed IPv6", () => {
  assert.deepEqual(splitHostPort("[fd00::1]:8081"), ["fd00::1", 8081]);
});
