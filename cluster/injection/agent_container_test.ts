import assert from "node:assert/strict";
// The agent's reader of this environment, imported by this test only, to pin the contract
// between what the injection writes and what the agent reads.
import { readAgentConfig } from "../../agent/traffic_agent/config.ts";
import { options, webDeployment, webService } from "./_fixtures.ts";
import {
  AGENT_RUNTIME_ENV,
  AGENT_USER,
  APP_MOUNTS_ROOT,
  DEFAULT_AGENT_RESOURCES,
} from "./agent_container.ts";
import { inject } from "./inject.ts";
import { restrictedViolations } from "./restricted_profile.ts";
import type { Container, EnvVar } from "./types.ts";

function injectedAgent(): Container {
  return inject(webDeployment(), [webService()], options).workload.spec.template.spec
    .containers[1]!;
}

Deno.test("the agent runs the manager's image as traffic-agent", () => {
  const agent = injectedAgent();
  assert.equal(agent.image, options.image);
  assert.deepEqual(agent.args, ["traffic-agent"]);
  assert.equal(agent.imagePullPolicy, "IfNotPresent");
  assert.deepEqual(agent.resources, DEFAULT_AGENT_RESOURCES);
});

Deno.test("the agent copies the app's env and envFrom, references included, but no TPX_ ones", () => {
  const agent = injectedAgent();
  const app = webDeployment().spec.template.spec.containers[0]!;
  assert.deepEqual(agent.envFrom, app.envFrom);
  const copied = agent.env!.filter((v) => !/^(TPX|DENO)_/.test(v.name));
  assert.deepEqual(copied.map((v) => v.name), [
    "DATABASE_URL",
    "POD_NAME",
    "DB_PASSWORD",
    "MEMORY_LIMIT",
  ]);
  assert.deepEqual(copied[2], app.env![2]);
  // Its own limits would be wrong: the reference is pinned to the app container.
  assert.deepEqual(copied[3]!.valueFrom, {
    resourceFieldRef: { resource: "limits.memory", containerName: "web" },
  });
  assert.equal(agent.env!.some((v) => v.name === "TPX_SHOULD_NOT_LEAK"), false);
});

Deno.test("the app's DENO_ variables stay out of the agent, whose runtime's own come last", () => {
  const workload = structuredClone(webDeployment());
  const app = workload.spec.template.spec.containers[0]!;
  app.env = [...app.env ?? [], { name: "DENO_DIR", value: "/app/.deno" }, {
    name: "DENO_V8_FLAGS",
    value: "--max-old-space-size=64",
  }];
  const agent = inject(workload, [webService()], options).workload.spec.template.spec
    .containers[1]!;
  const names = agent.env!.map((v) => v.name);
  assert.equal(names.includes("DENO_V8_FLAGS"), false);
  assert.deepEqual(agent.env!.filter((v) => v.name === "DENO_DIR"), [{
    name: "DENO_DIR",
    value: "/deno-dir",
  }]);
  // Last, so that they also win over any envFrom source.
  assert.deepEqual(agent.env!.slice(-AGENT_RUNTIME_ENV.length), AGENT_RUNTIME_ENV);
});

Deno.test("the agent's runtime variables are the ones the Containerfile's image sets", async () => {
  const recipe = await Deno.readTextFile(new URL("../../Containerfile", import.meta.url));
  const finalStage = recipe.slice(recipe.lastIndexOf("\nFROM "));
  const env = finalStage.split("\n").find((line) => line.startsWith("ENV "))!;
  assert.deepEqual(
    env.slice(4).trim().split(/\s+/),
    AGENT_RUNTIME_ENV.map((v) => `${v.name}=${v.value}`),
  );
});

Deno.test("the agent reads the pod's name, IP and namespace from the downward API", () => {
  const byName = new Map(injectedAgent().env!.map((v) => [v.name, v]));
  const fieldPath = (name: string) => byName.get(name)?.valueFrom?.fieldRef;
  assert.deepEqual(fieldPath("TPX_POD_NAME"), { apiVersion: "v1", fieldPath: "metadata.name" });
  assert.deepEqual(fieldPath("TPX_POD_IP"), { apiVersion: "v1", fieldPath: "status.podIP" });
  assert.deepEqual(fieldPath("TPX_NAMESPACE"), {
    apiVersion: "v1",
    fieldPath: "metadata.namespace",
  });
});

Deno.test("the agent mounts the app's volumes read-only under its own root", () => {
  const agent = injectedAgent();
  assert.deepEqual(agent.volumeMounts, [
    { name: "config", mountPath: `${APP_MOUNTS_ROOT}/app/config`, readOnly: true },
    { name: "data", mountPath: `${APP_MOUNTS_ROOT}/var/lib/web`, readOnly: true },
  ]);
  const mounts = agent.env!.find((v) => v.name === "TPX_APP_MOUNTS")!.value!;
  assert.deepEqual(JSON.parse(mounts), ["/app/config", "/var/lib/web"]);
});

Deno.test("the agent's environment is what the agent's configuration reader accepts", () => {
  const pod = {
    "metadata.name": "web-7d9f-abcde",
    "metadata.namespace": "shop",
    "status.podIP": "10.244.0.7",
  };
  const resolved = Object.fromEntries(
    injectedAgent().env!.map((v: EnvVar) => {
      const path = v.valueFrom?.fieldRef as { fieldPath: keyof typeof pod } | undefined;
      return [v.name, v.value ?? (path ? pod[path.fieldPath] : "from a secret")];
    }),
  );
  const config = readAgentConfig(resolved);
  assert.equal(config.managerHost, "tpx-manager.tpx-system");
  assert.equal(config.managerPort, 8081);
  assert.deepEqual(config.ports, [{
    name: "http",
    appPort: 8080,
    agentPort: 9900,
    protocol: "TCP",
  }]);
  assert.equal(config.workload, "web");
  assert.equal(config.workloadKind, "Deployment");
  assert.equal(config.pod, "web-7d9f-abcde");
  assert.equal(config.podIp, "10.244.0.7");
  assert.equal(config.namespace, "shop");
  assert.equal(config.container, "web");
  assert.deepEqual(config.mounts, ["/app/config", "/var/lib/web"]);
  assert.equal(config.appEnv.DATABASE_URL, "postgres://db.shop:5432/shop");
});

Deno.test("the agent passes the restricted profile with a read-only root filesystem", () => {
  const agent = injectedAgent();
  assert.deepEqual(restrictedViolations(agent), []);
  // Even where the pod's own context would fail it: the container's settings win.
  assert.deepEqual(restrictedViolations(agent, { runAsNonRoot: false, runAsUser: 0 }), []);
  assert.equal(agent.securityContext!.readOnlyRootFilesystem, true);
  assert.equal(agent.securityContext!.runAsUser, AGENT_USER);
  assert.equal(agent.securityContext!.capabilities!.add, undefined);
});

Deno.test("the agent takes resources, listen host and app host from the options", () => {
  const resources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } };
  const { workload } = inject(webDeployment(), [webService()], {
    ...options,
    resources,
    listenHost: "::",
    appHost: "::1",
  });
  const agent = workload.spec.template.spec.containers[1]!;
  assert.deepEqual(agent.resources, resources);
  const value = (name: string) => agent.env!.find((v) => v.name === name)?.value;
  assert.equal(value("TPX_LISTEN_HOST"), "::");
  assert.equal(value("TPX_APP_HOST"), "::1");
});
