import assert from "node:assert/strict";
import { FakeClock } from "../clock.ts";
import { TpxError } from "../protocol/errors.ts";
import { dataOf, decode, encodeQuery, exampleUpstream, FakeUpstream } from "./_testing.ts";
import { exchangeTcp, exchangeUdp } from "./transport.ts";

Deno.test("exchangeUdp and exchangeTcp return the server's answer", async () => {
  await using upstream = exampleUpstream();
  for (const exchange of [exchangeUdp, exchangeTcp]) {
    const answer = decode(
      await exchange(upstream.addr, encodeQuery("example.com", "A", { id: 3 }), {
        timeoutMs: 5_000,
      }),
    );
    assert.equal(answer.id, 3);
    assert.deepEqual(dataOf(answer), ["192.0.2.1"]);
  }
});

Deno.test("exchangeUdp ignores an answer with another id and times out with dns_timeout", async () => {
  let received!: () => void;
  const asked = new Promise<void>((resolve) => received = resolve);
  await using liar = new FakeUpstream((query) => {
    received();
    return { id: (query.id ?? 0) + 1 };
  });
  const clock = new FakeClock();
  const pending = exchangeUdp(liar.addr, encodeQuery("example.com", "A"), {
    timeoutMs: 500,
    clock,
  });
  await asked;
  clock.advance(500);
  await assert.rejects(pending, (error: unknown) => {
    assert.ok(error instanceof TpxError);
    assert.equal(error.code, "dns_timeout");
    assert.match(error.message, /^No answer from DNS server "127\.0\.0\.1:\d+"$/);
    return true;
  });
  assert.equal(clock.pending, 0);
});

Deno.test("exchangeTcp fails with dns_unreachable when nothing listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(
    exchangeTcp({ hostname: "127.0.0.1", port }, encodeQuery("example.com", "A"), {
      timeoutMs: 5_000,
    }),
    (error: unknown) => error instanceof TpxError && error.code === "dns_unreachable",
  );
});

Deno.test("exchangeTcp rejects with the abort reason when aborted", async () => {
  await using silent = new FakeUpstream(() => "silent");
  const abort = new AbortController();
  const pending = exchangeTcp(silent.addr, encodeQuery("example.com", "A"), {
    timeoutMs: 5_000,
    signal: abort.signal,
  });
  abort.abort(new Error("stub closing"));
  await assert.rejects(pending, /stub closing/);
});
