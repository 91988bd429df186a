import assert from "node:assert/strict";
import { proxyEnvironment } from "./environment.ts";

Deno.test("proxyEnvironment() points every proxy variable at the proxy, in both cases", () => {
  assert.deepEqual(proxyEnvironment({ port: 1080 }), {
    ALL_PROXY: "socks5h://127.0.0.1:1080",
    all_proxy: "socks5h://127.0.0.1:1080",
    HTTP_PROXY: "http://127.0.0.1:1080",
    http_proxy: "http://127.0.0.1:1080",
    HTTPS_PROXY: "http://127.0.0.1:1080",
    https_proxy: "http://127.0.0.1:1080",
    NO_PROXY: "localhost,127.0.0.1,::1",
    no_proxy: "localhost,127.0.0.1,::1",
  });
});

Deno.test("proxyEnvironment() brackets IPv6 and keeps the user's NO_PROXY entries", () => {
  const env = proxyEnvironment({ hostname: "::1", port: 9, noProxy: " corp.example, ::1,," });
  assert.equal(env.ALL_PROXY, "socks5h://[::1]:9");
  assert.equal(env.https_proxy, "http://[::1]:9");
  assert.equal(env.no_proxy, "localhost,127.0.0.1,::1,corp.example");
});
