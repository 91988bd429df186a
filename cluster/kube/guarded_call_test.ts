import assert from "node:assert/strict";
import type { KubeErrorContext } from "./api_errors.ts";
import { guardApi, kubeCaller } from "./guarded_call.ts";

const { ApiException } = await import("@kubernetes/client-node");

const context: KubeErrorContext = {
  server: "https://kube.example:6443",
  cluster: "prod",
  user: "jane",
  auth: "exec",
};

Deno.test("guardApi() names the request behind a 403 the server did not explain", async () => {
  const api = guardApi({
    listNamespacedConfigMap(_: { namespace: string }): Promise<never> {
      return Promise.reject(new ApiException(403, "Forbidden", "", {}));
    },
  }, kubeCaller(context, undefined));
  await assert.rejects(() => api.listNamespacedConfigMap({ namespace: "shop" }), {
    code: "rbac_forbidden",
    message: 'Not allowed to list "configmaps" in namespace "shop": forbidden',
  });
});

Deno.test("kubeCaller() refreshes the credential once after a 401, then gives up", async () => {
  let invalidations = 0;
  let attempts = 0;
  const call = kubeCaller(context, { invalidate: () => invalidations++ });
  const unauthorized = () => {
    attempts++;
    return Promise.reject(new ApiException(401, "Unauthorized", undefined, {}));
  };
  await assert.rejects(() => call(unauthorized), { code: "credentials_rejected" });
  assert.equal(attempts, 2);
  assert.equal(invalidations, 1);
});

Deno.test("kubeCaller() does not retry other failures", async () => {
  let attempts = 0;
  const call = kubeCaller(context, { invalidate: () => {} });
  const notFound = () => {
    attempts++;
    return Promise.reject(
      new ApiException(404, "Not Found", '{"message":"pods \\"x\\" not found"}', {}),
    );
  };
  await assert.rejects(() => call(notFound), {
    code: "kube_not_found",
    message: 'Not found: pods "x" not found',
  });
  assert.equal(attempts, 1);
});
