import assert from "node:assert/strict";
import { answerer, parseUpload } from "./in_cluster.ts";

Deno.test("answerer() tells the laptop app by its who", () => {
  assert.deepEqual(answerer(0, '{"who":"laptop","path":"/"}', ""), {
    kind: "laptop",
    who: "laptop",
  });
});

Deno.test("answerer() tells the echo app by its pod", () => {
  assert.deepEqual(answerer(0, '{"pod":"echo-abc","path":"/"}', ""), {
    kind: "app",
    pod: "echo-abc",
  });
});

Deno.test("answerer() reports a failed request with the client's error text", () => {
  assert.deepEqual(answerer(1, "", "connection refused\n"), {
    kind: "error",
    message: "connection refused",
  });
});

Deno.test("answerer() reports an answer that is neither app nor laptop as an error", () => {
  assert.equal(answerer(0, "<html>", "").kind, "error");
  assert.equal(answerer(0, '{"other":1}', "").kind, "error");
});

Deno.test("parseUpload() reads the client's timing and the receiver's count", () => {
  const body = JSON.stringify({ who: "laptop", path: "/sink", bytes: 1024 });
  const upload = parseUpload(JSON.stringify({ sent: 1024, seconds: 0.5, status: 200, body }));
  assert.deepEqual(upload, { bytes: 1024, seconds: 0.5, who: "laptop" });
});

Deno.test("parseUpload() refuses an upload the receiver did not count whole", () => {
  const body = JSON.stringify({ pod: "echo-abc", bytes: 1000 });
  assert.throws(
    () => parseUpload(JSON.stringify({ sent: 1024, seconds: 0.5, status: 200, body })),
    /counted 1000 of 1024 bytes/,
  );
});
