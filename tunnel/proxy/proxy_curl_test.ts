/**
 * The proxy as real clients use it: the `curl` binary, through SOCKS5 with names resolved by
 * the proxy, through HTTP CONNECT, with absolute-form requests, and with nothing but the
 * environment `tpx run` sets. These tests need `curl` on the PATH and fail, saying so, without.
 */
import assert from "node:assert/strict";
import { proxyEnvironment } from "./environment.ts";
import { proxyFixture } from "./_test_proxy.ts";

/** An HTTP server on loopback that answers with the path and Host it received. */
function echoingWebServer(): AsyncDisposable & { port: number } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const url = new URL(request.url);
      return new Response(`${request.method} ${url.pathname} host=${request.headers.get("host")}`);
    },
  );
  return { port: server.addr.port, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** Runs curl with only `env` (and PATH) in its environment; returns stdout, or throws. */
async function curl(args: string[], env: Record<string, string> = {}): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("curl", {
      args: ["--silent", "--show-error", "--max-time", "20", ...args],
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error('These tests need the "curl" binary on the PATH: install curl', {
        cause: error,
      });
    }
    throw error;
  }
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`curl ${args.join(" ")} exited ${output.code}: ${stderr}`);
  return new TextDecoder().decode(output.stdout);
}

Deno.test("curl --socks5-hostname reaches a cluster name through the proxy", async () => {
  await using web = echoingWebServer();
  await using fx = await proxyFixture({ webPort: web.port });
  const body = await curl([
    "--socks5-hostname",
    `127.0.0.1:${fx.proxy.port}`,
    "http://web.shop/socks",
  ]);
  assert.equal(body, "GET /socks host=web.shop");
});

Deno.test("curl -x http:// sends an absolute-form request the proxy forwards", async () => {
  await using web = echoingWebServer();
  await using fx = await proxyFixture({ webPort: web.port });
  const body = await curl(["-x", `http://127.0.0.1:${fx.proxy.port}`, "http://web.shop/plain"]);
  assert.equal(body, "GET /plain host=web.shop");
});

Deno.test("curl --proxytunnel goes through HTTP CONNECT", async () => {
  await using web = echoingWebServer();
  await using fx = await proxyFixture({ webPort: web.port });
  const body = await curl([
    "--proxytunnel",
    "-x",
    `http://127.0.0.1:${fx.proxy.port}`,
    "http://web.shop:8080/connect",
  ]);
  assert.equal(body, "GET /connect host=web.shop:8080");
});

Deno.test("curl reports the proxy's refusal for a name the cluster does not have", async () => {
  await using fx = await proxyFixture();
  await assert.rejects(
    () => curl(["--socks5-hostname", `127.0.0.1:${fx.proxy.port}`, "http://missing.shop/"]),
    /exited 97: .*(unreachable|SOCKS5)/i,
  );
  await assert.rejects(
    () => curl(["--proxytunnel", "-x", `http://127.0.0.1:${fx.proxy.port}`, "http://slow.shop/"]),
    /exited 56: .*504/,
  );
});

Deno.test("curl with only proxyEnvironment() set uses the proxy for HTTP", async () => {
  await using web = echoingWebServer();
  await using fx = await proxyFixture({ webPort: web.port });
  const env = proxyEnvironment({ port: fx.proxy.port });
  assert.equal(await curl(["http://web.shop/env"], env), "GET /env host=web.shop");
  assert.deepEqual(fx.routed, ["web.shop:80"]);
  // With only ALL_PROXY, curl speaks SOCKS5 and lets the proxy resolve the name.
  const socksOnly = { ALL_PROXY: env.ALL_PROXY!, NO_PROXY: env.NO_PROXY! };
  assert.equal(await curl(["http://web.shop/all"], socksOnly), "GET /all host=web.shop");
});

Deno.test("curl with proxyEnvironment() set reaches loopback without the proxy", async () => {
  await using web = echoingWebServer();
  await using fx = await proxyFixture();
  const env = proxyEnvironment({ port: fx.proxy.port });
  const body = await curl([`http://127.0.0.1:${web.port}/local`], env);
  assert.equal(body, `GET /local host=127.0.0.1:${web.port}`);
  assert.deepEqual(fx.routed, [], "the proxy was never asked");
});
