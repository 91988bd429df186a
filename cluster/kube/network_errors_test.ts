import assert from "node:assert/strict";
import { networkError } from "./network_errors.ts";

const target = { server: "https://kube.example:6443", cluster: "prod" };

/** What undici's fetch throws: `TypeError: fetch failed` with the socket error as cause. */
function fetchFailed(code: string, message = code): TypeError {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });
}

Deno.test("networkError() names the host that DNS does not know", () => {
  const error = networkError(
    fetchFailed("ENOTFOUND", "getaddrinfo ENOTFOUND kube.example"),
    target,
  );
  assert.equal(error?.code, "cluster_unreachable");
  assert.equal(
    error?.message,
    'Cannot reach the cluster at "https://kube.example:6443": host "kube.example" not found (DNS)',
  );
  assert.equal(error?.retryable, true);
  assert.match(error?.hint ?? "", /VPN/);
});

Deno.test("networkError() says how long it waited on a connect timeout", () => {
  const error = networkError(fetchFailed("UND_ERR_CONNECT_TIMEOUT"), target, 10_000);
  assert.equal(
    error?.message,
    'Cannot reach the cluster at "https://kube.example:6443": no answer after 10 s',
  );
});

Deno.test("networkError() recognises an expired certificate by its OpenSSL code", () => {
  const error = networkError(fetchFailed("CERT_HAS_EXPIRED", "certificate has expired"), target);
  assert.equal(error?.code, "cluster_certificate_expired");
  assert.equal(error?.category, "cluster");
});

Deno.test("networkError() recognises rustls' certificate errors by their message", () => {
  const error = networkError(new TypeError("invalid peer certificate: UnknownIssuer"), target);
  assert.equal(error?.code, "cluster_certificate_unknown_authority");
});

Deno.test("networkError() leaves other errors alone", () => {
  assert.equal(networkError(new RangeError("bad index"), target), undefined);
});
