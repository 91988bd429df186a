import assert from "node:assert/strict";
import { KubeApiError } from "../../../cluster/kube/mod.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import { isConflict, retryOnConflict } from "./conflict_retry.ts";

function apiError(status: number, reason: string): KubeApiError {
  return new KubeApiError(status, reason, new TpxError("cluster", reason, { code: "x" }));
}

Deno.test("retryOnConflict() runs the attempt again after a 409 conflict", async () => {
  let runs = 0;
  const retried: number[] = [];
  const result = await retryOnConflict(() => {
    runs++;
    return runs < 3 ? Promise.reject(apiError(409, "Conflict")) : Promise.resolve("done");
  }, { onConflict: (n) => retried.push(n) });
  assert.equal(result, "done");
  assert.deepEqual(retried, [1, 2]);
});

Deno.test("retryOnConflict() rejects after the last attempt", async () => {
  let runs = 0;
  await assert.rejects(
    () =>
      retryOnConflict(() => {
        runs++;
        return Promise.reject(apiError(409, "Conflict"));
      }, { attempts: 3 }),
    (e) => isConflict(e),
  );
  assert.equal(runs, 3);
});

Deno.test("retryOnConflict() does not retry other errors", async () => {
  for (const error of [apiError(409, "AlreadyExists"), apiError(403, "Forbidden"), new Error()]) {
    let runs = 0;
    await assert.rejects(() =>
      retryOnConflict(() => {
        runs++;
        return Promise.reject(error);
      }), (e) => e === error);
    assert.equal(runs, 1);
  }
});
