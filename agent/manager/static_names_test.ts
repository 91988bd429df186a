import assert from "node:assert/strict";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { staticNames } from "./static_names.ts";

const table = JSON.stringify({
  "web.demo.svc.cluster.local.": {
    addresses: ["127.0.0.1"],
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  },
});

Deno.test("staticNames() answers its names as services, any case, and nothing else", async () => {
  const lookup = staticNames(table);
  const answer = await lookup("Web.Demo.svc.cluster.local");
  assert.equal(answer.kind, "service");
  assert.deepEqual(answer.addresses, ["127.0.0.1"]);
  assert.deepEqual(answer.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  assert.equal((await lookup("db.demo.svc.cluster.local")).kind, "none");
});

Deno.test("staticNames() names what is wrong with the table", () => {
  const cases: [string, RegExp][] = [
    ["{", /it is not JSON/],
    ["[]", /an object from names to services/],
    ['{"a": {"ports": []}}', /"a" needs "addresses"/],
    [
      '{"a": {"addresses": ["1.2.3.4"], "ports": [{"port": 0, "protocol": "TCP"}]}}',
      /"a" needs "ports"/,
    ],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => staticNames(json),
      (error: unknown) =>
        error instanceof TpxError && error.code === "invalid_static_names" &&
        message.test(error.message),
    );
  }
});
