import assert from "node:assert/strict";
import {
  DialTimeoutError,
  joinHostPort,
  listenError,
  resetCodeForDialError,
} from "./net_errors.ts";
import { ResetCode, TpxError } from "./protocol/mod.ts";

Deno.test("resetCodeForDialError() tells the peer why a dial failed", () => {
  const cases: [unknown, ResetCode][] = [
    [new Deno.errors.ConnectionRefused("refused"), ResetCode.Refused],
    [new Deno.errors.TimedOut("timed out"), ResetCode.Timeout],
    [new DialTimeoutError("10.0.0.1:80", 5000), ResetCode.Timeout],
    [new Deno.errors.PermissionDenied("denied"), ResetCode.NotAllowed],
    [new Deno.errors.NetworkUnreachable("no route"), ResetCode.Unreachable],
    [new Deno.errors.NotFound("no such host"), ResetCode.Unreachable],
    [new Error("anything else"), ResetCode.Unreachable],
  ];
  for (const [error, code] of cases) assert.equal(resetCodeForDialError(error), code, `${error}`);
});

Deno.test("listenError() names the address and says what to do", () => {
  const inUse = listenError(new Deno.errors.AddrInUse("in use"), "127.0.0.1:80");
  assert.ok(inUse instanceof TpxError);
  assert.equal(inUse.code, "address_in_use");
  assert.match(inUse.message, /127\.0\.0\.1:80/);
  assert.ok(inUse.hint);
  const denied = listenError(new Deno.errors.PermissionDenied("denied"), "127.0.0.1:80");
  assert.ok(denied instanceof TpxError && denied.code === "listen_denied" && denied.hint);
  const other = new Error("something else");
  assert.equal(listenError(other, "127.0.0.1:80"), other);
});

Deno.test("joinHostPort() brackets IPv6 hosts only", () => {
  assert.equal(joinHostPort("::1", 53), "[::1]:53");
  assert.equal(joinHostPort("web.shop", 80), "web.shop:80");
});
