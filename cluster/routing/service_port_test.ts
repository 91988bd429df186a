import assert from "node:assert/strict";
import { agentPortFor, type ServicePortFacts, type TemplateFacts } from "./service_port.ts";

const template: TemplateFacts = {
  labels: { app: "web", tier: "front" },
  containerPorts: [{ name: "http", containerPort: 8080 }, { containerPort: 9090 }],
};
const named: ServicePortFacts = {
  name: "web",
  selector: { app: "web" },
  ports: [{ name: "www", port: 80, targetPort: "http" }],
};

Deno.test("agentPortFor() turns a Service port number into that port's name", () => {
  assert.equal(agentPortFor(template, [named], "80"), "www");
});

Deno.test("agentPortFor() turns an unnamed Service port into its target's container port", () => {
  const byNumber = { ...named, ports: [{ port: 80, targetPort: 9090 }] };
  assert.equal(agentPortFor(template, [byNumber], "80"), "9090");
  const byName = { ...named, ports: [{ port: 80, targetPort: "http" }] };
  assert.equal(agentPortFor(template, [byName], "80"), "8080");
  const sameNumber = { ...named, ports: [{ port: 8080 }] };
  assert.equal(agentPortFor(template, [sameNumber], "8080"), "8080");
});

Deno.test("agentPortFor() leaves names, unknown numbers and other workloads' Services alone", () => {
  assert.equal(agentPortFor(template, [named], "http"), undefined);
  assert.equal(agentPortFor(template, [named], "443"), undefined);
  const other = { ...named, selector: { app: "db" } };
  assert.equal(agentPortFor(template, [other], "80"), undefined);
  assert.equal(agentPortFor(template, [{ ...named, selector: {} }], "80"), undefined);
});

Deno.test("agentPortFor() looks only at the Service the user named", () => {
  const admin: ServicePortFacts = {
    name: "admin",
    selector: { app: "web" },
    ports: [{ name: "adm", port: 80 }],
  };
  assert.equal(agentPortFor(template, [admin, named], "80", "web"), "www");
  assert.equal(agentPortFor(template, [admin, named], "80", "admin"), "adm");
});
