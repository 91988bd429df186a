import assert from "node:assert/strict";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import { KubeApiError, type KubeErrorContext, toKubeError } from "./api_errors.ts";

const { ApiException } = await import("@kubernetes/client-node");

const context: KubeErrorContext = {
  server: "https://kube.example:6443",
  cluster: "prod",
  user: "jane",
  auth: "exec",
};

/** An `ApiException` as client-node throws it for an HTTP error, with the JSON `Status` body. */
function apiException(code: number, reason: string, message: string): Error {
  const body = JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message,
    reason,
    code,
  });
  return new ApiException(code, "Unknown API Status Code!", body, {});
}

Deno.test("toKubeError() reads a cluster-scoped 403 with the user the server names", () => {
  const error = toKubeError(
    apiException(
      403,
      "Forbidden",
      'namespaces is forbidden: User "jane@example.com" cannot list resource "namespaces" in API group "" at the cluster scope',
    ),
    context,
  );
  assert.equal(
    error.message,
    'Not allowed to list "namespaces" at cluster scope: the cluster says you are "jane@example.com"',
  );
  assert.equal(
    error.hint,
    'ask a cluster admin to grant "list" on "namespaces" at cluster scope to "jane@example.com"; ' +
      '"kubectl auth can-i list namespaces" checks it',
  );
});

Deno.test("toKubeError() names the API group of a forbidden resource", () => {
  const error = toKubeError(
    apiException(
      403,
      "Forbidden",
      'deployments.apps "web" is forbidden: User "jane" cannot patch resource "deployments" in API group "apps" in the namespace "shop"',
    ),
    context,
  );
  assert.equal(
    error.message,
    'Not allowed to patch "deployments.apps" in namespace "shop": the cluster says you are "jane"',
  );
});

Deno.test("toKubeError() falls back to the call for a 403 it cannot read", () => {
  const error = toKubeError(apiException(403, "Forbidden", "forbidden by policy"), {
    ...context,
    call: { verb: "create", resource: "services", namespace: "shop" },
  });
  assert.equal(error.code, "rbac_forbidden");
  assert.equal(
    error.message,
    'Not allowed to create "services" in namespace "shop": forbidden by policy',
  );
});

Deno.test("toKubeError() keeps the status and reason for callers that handle 409", () => {
  const error = toKubeError(
    apiException(409, "AlreadyExists", 'services "web" already exists'),
    context,
  );
  assert.ok(error instanceof KubeApiError);
  assert.equal(error.status, 409);
  assert.equal(error.reason, "AlreadyExists");
  assert.equal(error.code, "kube_already_exists");
  assert.equal(error.message, 'Already exists: services "web" already exists');
});

Deno.test("toKubeError() marks a 503 retryable", () => {
  const error = toKubeError(
    apiException(503, "ServiceUnavailable", "etcdserver: leader changed"),
    context,
  );
  assert.equal(error.code, "kube_unavailable");
  assert.equal(error.retryable, true);
  assert.equal(
    error.message,
    'The cluster at "https://kube.example:6443" is unavailable: etcdserver: leader changed',
  );
});

Deno.test("toKubeError() passes a TpxError through and calls anything else internal", () => {
  const own = new TpxError("user", "Already handled");
  assert.equal(toKubeError(own, context), own);
  const other = toKubeError(new Error("boom\nstack"), context);
  assert.equal(other.category, "internal");
  assert.equal(other.message, "Kubernetes API call failed: boom");
});
