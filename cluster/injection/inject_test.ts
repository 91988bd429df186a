import assert from "node:assert/strict";
import {
  apiDeployment,
  apiService,
  dbService,
  dbStatefulSet,
  deepFreeze,
  echoReplicaSet,
  echoService,
  options,
  otherService,
  webDeployment,
  webNumericService,
  webService,
} from "./_fixtures.ts";
import { AGENT_CONTAINER } from "./agent_container.ts";
import { inject } from "./inject.ts";
import { remove } from "./remove.ts";
import { Annotation, readInjectionRecord, readServiceRecord } from "./record.ts";
import type { Container, Workload } from "./types.ts";

function containers(workload: Workload): Container[] {
  return workload.spec.template.spec.containers;
}

function env(container: Container, name: string): string | undefined {
  return container.env?.find((v) => v.name === name)?.value;
}

Deno.test("inject() takes a named target port over by renaming the app's port", () => {
  const service = webService();
  const result = inject(webDeployment(), [service], options);
  const [app, agent] = containers(result.workload);
  assert.deepEqual(app!.ports!.map((p) => p.name), ["tpx-app-http", "metrics"]);
  assert.equal(agent!.name, AGENT_CONTAINER);
  assert.deepEqual(agent!.ports, [{ name: "http", containerPort: 9900, protocol: "TCP" }]);
  // The Service, unchanged, now reaches the agent.
  assert.equal(result.services[0], service);
  assert.deepEqual(result.record.services, []);
  assert.deepEqual(JSON.parse(env(agent!, "TPX_AGENT_PORTS")!), [
    { name: "http", appPort: 8080, agentPort: 9900, protocol: "TCP" },
  ]);
});

Deno.test("inject() points the app's probes and hooks at the renamed port", () => {
  const [app] = containers(inject(webDeployment(), [webService()], options).workload);
  assert.equal(app!.livenessProbe!.httpGet!.port, "tpx-app-http");
  assert.equal(app!.readinessProbe!.httpGet!.port, "tpx-app-http");
  assert.equal(app!.startupProbe!.tcpSocket!.port, "tpx-app-http");
  assert.equal(app!.lifecycle!.preStop!.httpGet!.port, "tpx-app-http");
  assert.equal(app!.livenessProbe!.httpGet!.path, "/healthz");
});

Deno.test("inject() records every change on the workload and marks the pod template", () => {
  const { workload, record } = inject(webDeployment(), [webService()], options);
  assert.deepEqual(readInjectionRecord(workload.metadata), record);
  assert.deepEqual(record, {
    version: 1,
    agentContainer: "tpx-agent",
    appContainer: "web",
    ports: [{
      name: "http",
      appPort: 8080,
      agentPort: 9900,
      protocol: "TCP",
      agentPortName: "http",
    }],
    renamedPorts: [{ container: "web", from: "http", to: "tpx-app-http" }],
    probes: [
      {
        container: "web",
        handler: "livenessProbe",
        action: "httpGet",
        from: "http",
        to: "tpx-app-http",
      },
      {
        container: "web",
        handler: "readinessProbe",
        action: "httpGet",
        from: "http",
        to: "tpx-app-http",
      },
      {
        container: "web",
        handler: "startupProbe",
        action: "tcpSocket",
        from: "http",
        to: "tpx-app-http",
      },
      {
        container: "web",
        handler: "lifecycle.preStop",
        action: "httpGet",
        from: "http",
        to: "tpx-app-http",
      },
    ],
    templateAnnotations: [Annotation.Agent],
    createdMaps: ["spec.template.metadata.annotations"],
    services: [],
  });
  assert.deepEqual(workload.spec.template.metadata!.annotations, {
    [Annotation.Agent]: options.image,
  });
  assert.equal(workload.metadata.annotations!.owner, "team-shop");
});

Deno.test("inject() points a numeric target port at a named port of the agent", () => {
  const { workload, services, record } = inject(dbStatefulSet(), [dbService()], options);
  const [app, agent] = containers(workload);
  assert.deepEqual(app!.ports, [{ containerPort: 5432, protocol: "TCP" }]);
  assert.deepEqual(agent!.ports, [{ name: "tpx-5432", containerPort: 9900, protocol: "TCP" }]);
  assert.equal(services[0]!.spec.ports![0]!.targetPort, "tpx-5432");
  assert.deepEqual(readServiceRecord(services[0]!.metadata), {
    version: 1,
    workload: "StatefulSet/db",
    ports: [{ port: 5432, protocol: "TCP", original: 5432, targetPort: "tpx-5432" }],
    createdAnnotations: false,
  });
  assert.deepEqual(record.services, ["db"]);
  assert.deepEqual(record.createdMaps, [
    "metadata.annotations",
    "spec.template.metadata.annotations",
  ]);
  assert.equal(env(agent!, "TPX_WORKLOAD_KIND"), "StatefulSet");
});

Deno.test("inject() treats an absent targetPort as the Service port's number", () => {
  const { workload, services } = inject(echoReplicaSet(), [echoService()], {
    ...options,
    servicePort: "http",
  });
  const agent = containers(workload)[1]!;
  assert.deepEqual(agent.ports, [{ name: "tpx-8080", containerPort: 9900, protocol: "TCP" }]);
  assert.equal(services[0]!.spec.ports![0]!.targetPort, "tpx-8080");
  assert.equal(readServiceRecord(services[0]!.metadata)!.ports[0]!.original, null);
  assert.equal(env(agent, "TPX_APP_CONTAINER"), "echo");
});

Deno.test("inject() takes a UDP port and probes no agent port over TCP", () => {
  const { workload } = inject(echoReplicaSet(), [echoService()], {
    ...options,
    servicePort: "udp",
  });
  const [app, agent] = containers(workload);
  assert.deepEqual(app!.ports, [{ name: "tpx-app-udp", containerPort: 7000, protocol: "UDP" }]);
  assert.deepEqual(agent!.ports, [{ name: "udp", containerPort: 9900, protocol: "UDP" }]);
  assert.equal(agent!.readinessProbe, undefined);
});

Deno.test("inject() routes every Service that reaches the port, by name or by number", () => {
  const named = webService();
  const unrelated = otherService();
  const { services, record } = inject(
    webDeployment(),
    [named, webNumericService(), unrelated],
    options,
  );
  assert.equal(services[0], named);
  assert.equal(services[2], unrelated);
  // The agent declares "http", so the numeric Service is pointed at that name.
  assert.equal(services[1]!.spec.ports![0]!.targetPort, "http");
  assert.equal(readServiceRecord(services[1]!.metadata)!.createdAnnotations, true);
  assert.deepEqual(record.services, ["web-internal"]);
});

Deno.test("inject() finds the app container of a multi-container pod by the port", () => {
  const { workload } = inject(apiDeployment(), [apiService()], { ...options, servicePort: "80" });
  const [proxy, api, agent] = containers(workload);
  assert.deepEqual(proxy, apiDeployment().spec.template.spec.containers[0]);
  assert.equal(api!.ports![0]!.name, "tpx-app-http");
  assert.equal(api!.readinessProbe!.httpGet!.port, "tpx-app-http");
  assert.equal(env(agent!, "TPX_APP_CONTAINER"), "api");
  assert.equal(agent!.ports![0]!.name, "http");
});

Deno.test("inject() picks the port of the --container when only one Service port leads there", () => {
  const { record } = inject(apiDeployment(), [apiService()], { ...options, container: "proxy" });
  assert.equal(record.appContainer, "proxy");
  assert.deepEqual(record.renamedPorts, [{
    container: "proxy",
    from: "https",
    to: "tpx-app-https",
  }]);
});

Deno.test("inject() gives the agent a port no container or probe uses", () => {
  const base = webDeployment();
  const crowded = structuredClone(base);
  crowded.spec.template.spec.containers[0]!.ports!.push({ containerPort: 9900 });
  crowded.spec.template.spec.containers[0]!.livenessProbe!.httpGet!.port = 9901;
  const { record } = inject(crowded, [webService()], options);
  assert.equal(record.ports[0]!.agentPort, 9902);
  const based = inject(base, [webService()], { ...options, agentPortBase: 15000 });
  assert.equal(based.record.ports[0]!.agentPort, 15000);
});

Deno.test("inject() avoids port names the pod already uses", () => {
  const crowded = structuredClone(dbStatefulSet());
  crowded.spec.template.spec.containers[0]!.ports!.push({ name: "tpx-5432", containerPort: 1 });
  const { record } = inject(crowded, [dbService()], options);
  const name = record.ports[0]!.agentPortName;
  assert.notEqual(name, "tpx-5432");
  assert.match(name, /^tpx-5432-[a-z0-9]{4}$/);
});

function frozenPaths(value: unknown, path = ""): string[] {
  if (typeof value !== "object" || value === null) return [];
  const own = Object.isFrozen(value) ? [path] : [];
  return [
    ...own,
    ...Object.entries(value).flatMap(([key, child]) => frozenPaths(child, `${path}.${key}`)),
  ];
}

Deno.test("inject() and remove() share no object with their frozen inputs", () => {
  const injected = inject(webDeployment(), [webService(), webNumericService()], options);
  assert.deepEqual(frozenPaths(injected.workload), []);
  assert.deepEqual(frozenPaths(injected.services[1]), []);
  const frozen = deepFreeze(injected);
  const restored = remove(frozen.workload, frozen.services);
  assert.deepEqual(frozenPaths(restored.workload), []);
  assert.deepEqual(frozenPaths(restored.services[1]), []);
});
