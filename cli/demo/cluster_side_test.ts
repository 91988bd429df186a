import assert from "node:assert/strict";
import { childEnv, DEMO_SERVICE, staticNames } from "./cluster_side.ts";

Deno.test("staticNames() makes the sample service's name point at the agent's port", () => {
  assert.deepEqual(JSON.parse(staticNames(18080)), {
    [DEMO_SERVICE.fqdn]: {
      addresses: ["127.0.0.1"],
      ports: [{ name: "http", port: 18080, protocol: "TCP" }],
    },
  });
});

Deno.test("childEnv() drops Kubernetes' and tpx's settings but keeps the log level", () => {
  assert.deepEqual(
    childEnv({
      PATH: "/bin",
      DENO_DIR: "/cache",
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      TPX_DAEMON_PORT: "8081",
      TPX_LOG_LEVEL: "debug",
    }),
    { PATH: "/bin", DENO_DIR: "/cache", TPX_LOG_LEVEL: "debug" },
  );
});
