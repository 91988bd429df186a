import assert from "node:assert/strict";
import { bytes, ScriptedConn, text } from "./_test_conns.ts";
import { BufferedConn } from "./buffered_conn.ts";
import { splice } from "./splice.ts";

Deno.test("splice() copies buffered bytes first, then both ways, passing each end on", async () => {
  const clientSide = new ScriptedConn(["hello ", "app"]);
  const appSide = new ScriptedConn(["reply"]);
  const client = new BufferedConn(clientSide);
  const app = new BufferedConn(appSide);
  await client.fill();
  assert.equal(await splice(client, app), undefined);
  assert.equal(text(appSide.written), "hello app");
  assert.equal(text(clientSide.written), "reply");
  assert.equal(appSide.writeClosed && clientSide.writeClosed, true);
  assert.equal(appSide.closed && clientSide.closed, true);
});

Deno.test("splice() closes both sides when one direction fails", async () => {
  const broken = new ScriptedConn([bytes("x")]);
  broken.writeClosed = true;
  const other = new ScriptedConn(["y"]);
  const error = await splice(new BufferedConn(broken), new BufferedConn(other));
  assert.ok(error instanceof Deno.errors.BrokenPipe);
  assert.equal(broken.closed && other.closed, true);
});
