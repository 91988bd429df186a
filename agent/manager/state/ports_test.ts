import assert from "node:assert/strict";
import { TpxError } from "../../../tunnel/protocol/mod.ts";
import { port, spec } from "./_testing.ts";
import type { AgentPort } from "./agents.ts";
import { resolveAgentPort } from "./ports.ts";

const http = port(8080, "http");
const metrics = port(9090, "metrics");
const bare = port(7070);

function resolve(servicePort: string | undefined, ports: AgentPort[]): AgentPort {
  const asked = servicePort === undefined ? spec() : spec({ servicePort });
  return resolveAgentPort({ spec: asked, kind: "Deployment", ports });
}

function fails(servicePort: string | undefined, ports: AgentPort[], code: string): TpxError {
  let caught: unknown;
  assert.throws(() => resolve(servicePort, ports), (error) => (caught = error) instanceof TpxError);
  const error = caught as TpxError;
  assert.equal(error.category, "user");
  assert.equal(error.code, code);
  return error;
}

Deno.test("resolveAgentPort() takes the port whose name is the service port", () => {
  assert.equal(resolve("metrics", [http, metrics]), metrics);
});

Deno.test("resolveAgentPort() takes the port whose app port is the service port's number", () => {
  assert.equal(resolve("9090", [http, metrics]), metrics);
  assert.equal(resolve("7070", [http, bare]), bare);
});

Deno.test("resolveAgentPort() takes the only port when none is asked for", () => {
  assert.equal(resolve(undefined, [http]), http);
});

Deno.test("resolveAgentPort() lists the ports when several fit and none is asked for", () => {
  const error = fails(undefined, [http, bare], "port_ambiguous");
  assert.equal(
    error.message,
    'Cannot intercept "web": deployment/web has several ports ("http" 8080/TCP, 7070/TCP) ' +
      "and none was chosen",
  );
  assert.match(error.hint ?? "", /-p 8080:http/);
});

Deno.test("resolveAgentPort() names the missing port and lists the others", () => {
  const error = fails("8081", [http, bare], "port_not_found");
  assert.equal(
    error.message,
    'Cannot intercept "web": deployment/web has no port "8081" (its ports: "http" 8080/TCP, 7070/TCP)',
  );
  assert.equal(error.hint, 'run "tpx list -n shop"');
});

Deno.test("resolveAgentPort() fails on a workload without ports", () => {
  fails(undefined, [], "port_not_found");
  fails("http", [], "port_not_found");
});
