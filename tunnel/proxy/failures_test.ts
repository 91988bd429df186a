import assert from "node:assert/strict";
import { DialTimeoutError } from "../net_errors.ts";
import { ResetCode, TpxError } from "../protocol/mod.ts";
import { SessionClosedError, StreamResetError } from "../stream_errors.ts";
import {
  failureOf,
  httpStatusFor,
  ProxyFailure,
  RouteError,
  SocksReply,
  socksReplyFor,
} from "./failures.ts";

Deno.test("failureOf() maps tunnel reset codes to what the client is told", () => {
  const reset = (code: ResetCode) => failureOf(new StreamResetError(code, "", true));
  assert.equal(reset(ResetCode.Refused), ProxyFailure.Refused);
  assert.equal(reset(ResetCode.Unreachable), ProxyFailure.HostUnreachable);
  assert.equal(reset(ResetCode.Timeout), ProxyFailure.Timeout);
  assert.equal(reset(ResetCode.NotAllowed), ProxyFailure.NotAllowed);
  assert.equal(reset(ResetCode.SessionClosed), ProxyFailure.NetworkUnreachable);
  assert.equal(reset(ResetCode.Internal), ProxyFailure.General);
  assert.equal(failureOf(new SessionClosedError("gone")), ProxyFailure.NetworkUnreachable);
});

Deno.test("failureOf() maps dial errors and route refusals", () => {
  assert.equal(failureOf(new Deno.errors.ConnectionRefused("x")), ProxyFailure.Refused);
  assert.equal(failureOf(new Deno.errors.TimedOut("x")), ProxyFailure.Timeout);
  assert.equal(failureOf(new DialTimeoutError("a:1", 5)), ProxyFailure.Timeout);
  assert.equal(failureOf(new Deno.errors.NetworkUnreachable("x")), ProxyFailure.NetworkUnreachable);
  assert.equal(failureOf(new Error("failed to lookup address")), ProxyFailure.HostUnreachable);
  assert.equal(failureOf(new TpxError("cluster", "x", { code: "connection_refused" })), "refused");
  const refusal = new RouteError(ProxyFailure.NotAllowed, 'Cannot reach "x"', "ask");
  assert.equal(failureOf(refusal), ProxyFailure.NotAllowed);
  assert.equal(refusal.code, "proxy_not_allowed");
  assert.equal(refusal.hint, "ask");
});

Deno.test("socksReplyFor() and httpStatusFor() give each failure its code", () => {
  const table: [ProxyFailure, SocksReply, number][] = [
    [ProxyFailure.General, SocksReply.GeneralFailure, 502],
    [ProxyFailure.NotAllowed, SocksReply.NotAllowed, 403],
    [ProxyFailure.NetworkUnreachable, SocksReply.NetworkUnreachable, 502],
    [ProxyFailure.HostUnreachable, SocksReply.HostUnreachable, 502],
    [ProxyFailure.Refused, SocksReply.ConnectionRefused, 502],
    [ProxyFailure.Timeout, SocksReply.TtlExpired, 504],
  ];
  for (const [failure, reply, status] of table) {
    assert.equal(socksReplyFor(failure), reply, failure);
    assert.equal(httpStatusFor(failure), status, failure);
  }
});
