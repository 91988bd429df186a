import assert from "node:assert/strict";
import type { SessionStatus } from "../daemon/api_types.ts";
import { describeSession, olderManager } from "./session.ts";

Deno.test("olderManager() compares MAJOR.MINOR.PATCH and never calls an unparsable version older", () => {
  assert.equal(olderManager("0.1.0", "0.2.0"), true);
  assert.equal(olderManager("0.10.0", "0.9.9"), false);
  assert.equal(olderManager("1.0.0", "1.0.0"), false);
  assert.equal(olderManager("1.0.1", "1.0.0"), false);
  assert.equal(olderManager("", "1.0.0"), false);
});

Deno.test("describeSession() names the context, the DNS mode and each forwarded port", () => {
  const session: SessionStatus = {
    context: "kind",
    server: "https://127.0.0.1:6443",
    namespace: "shop",
    managerNamespace: "tpx-system",
    managerVersion: "0.1.0",
    sessionId: "s1",
    tunnel: "up",
    dns: { mode: "none", address: "127.0.0.1", port: 5353, detail: "unchanged" },
    routes: [{
      name: "web.shop.svc.cluster.local",
      address: "127.241.0.1",
      target: "10.96.0.20",
      ports: [
        { port: 80, protocol: "TCP", listening: true },
        { port: 53, protocol: "UDP", listening: false, problem: "permission denied" },
      ],
    }],
  };
  const text = describeSession(session);
  assert.match(text, /connected to context "kind" \(https:\/\/127\.0\.0\.1:6443\)/);
  assert.match(text, /DNS +none: unchanged/);
  assert.match(
    text,
    /service +web\.shop\.svc\.cluster\.local → 127\.241\.0\.1 \[80\/TCP, 53\/UDP \(not forwarded: permission denied\)\]/,
  );
});
