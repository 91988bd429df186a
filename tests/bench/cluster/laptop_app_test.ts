import assert from "node:assert/strict";
import { type LaptopAnswer, laptopApp } from "./laptop_app.ts";

async function call(port: number, path: string, init: RequestInit = {}): Promise<LaptopAnswer> {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, client });
  assert.equal(response.status, 200);
  return await response.json() as LaptopAnswer;
}

Deno.test("laptopApp() answers who it is on any path", async () => {
  await using laptop = laptopApp("laptop");
  assert.deepEqual(await call(laptop.port, "/hello"), { who: "laptop", path: "/hello" });
});

Deno.test("laptopApp() counts every byte of a POST /sink body sent in chunks", async () => {
  await using laptop = laptopApp("laptop");
  const chunk = new Uint8Array(64 * 1024).fill(7);
  const chunks = 40;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (chunks === sent++) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const answer = await call(laptop.port, "/sink", { method: "POST", body });
  assert.deepEqual(answer, { who: "laptop", path: "/sink", bytes: chunks * chunk.length });
});

Deno.test("laptopApp() counts an empty POST /sink body as zero bytes", async () => {
  await using laptop = laptopApp("laptop");
  const answer = await call(laptop.port, "/sink", { method: "POST" });
  assert.equal(answer.bytes, 0);
});
