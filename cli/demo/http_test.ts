import assert from "node:assert/strict";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { expectAnswer, getText, HttpErrorCode, sentenceServer } from "./http.ts";

Deno.test("sentenceServer() answers every request with its sentence", async () => {
  await using server = sentenceServer("hello from the sample service");
  const body = await getText(
    `http://127.0.0.1:${server.port}/any/path`,
    new AbortController().signal,
  );
  assert.equal(body, "hello from the sample service");
  assert.equal(server.served, 1);
});

Deno.test("expectAnswer() returns at the first try that gets the wanted answer", async () => {
  await using server = sentenceServer("hello from your machine");
  const url = `http://127.0.0.1:${server.port}/`;
  const tries = await expectAnswer(url, "hello from your machine", {
    withinMs: 5_000,
    signal: new AbortController().signal,
  });
  assert.equal(tries, 1);
});

Deno.test("expectAnswer() gives up with the last answer when the wanted one never comes", async () => {
  await using server = sentenceServer("hello from the sample service");
  const url = `http://127.0.0.1:${server.port}/`;
  await assert.rejects(
    () =>
      expectAnswer(url, "hello from your machine", {
        withinMs: 0,
        signal: new AbortController().signal,
      }),
    (error: unknown) =>
      error instanceof TpxError && error.code === HttpErrorCode.WrongAnswer &&
      error.message === `${url} answered "hello from the sample service", not ` +
          `"hello from your machine"`,
  );
  assert.equal(server.served, 1, "one try, as the time was up");
});

Deno.test("expectAnswer() stops at once with the signal's reason when aborted", async () => {
  await using server = sentenceServer("hello from the sample service");
  const interrupt = new AbortController();
  interrupt.abort(new Error("Interrupted"));
  await assert.rejects(
    () =>
      expectAnswer(`http://127.0.0.1:${server.port}/`, "something else", {
        withinMs: 60_000,
        signal: interrupt.signal,
      }),
    /Interrupted/,
  );
});
