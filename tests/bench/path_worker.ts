/**
 * A bench path in a thread of its own, as it runs in real life in a process of its own: the
 * daemon's side of the tunnel, the manager's side, or the baseline relay.
 *
 * Messages in: `{kind: "far"}`, `{kind: "near", tunnelPort, targetPort}`,
 * `{kind: "relay", targetPort}`, then `{kind: "close"}`. Each is answered with `{port}` (the
 * port it listens on) or `{closed: true}`.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { farSide, nearSide, relayPath } from "./fixtures.ts";

let close: () => PromiseLike<void> = () => Promise.resolve();

self.onmessage = async (event: MessageEvent) => {
  const message = event.data as
    | { kind: "far" }
    | { kind: "near"; tunnelPort: number; targetPort: number }
    | { kind: "relay"; targetPort: number }
    | { kind: "close" };
  if (message.kind === "close") {
    await close();
    self.postMessage({ closed: true });
    return;
  }
  const path = message.kind === "far"
    ? await farSide()
    : message.kind === "near"
    ? await nearSide(message.tunnelPort, message.targetPort)
    : relayPath(message.targetPort);
  close = () => path[Symbol.asyncDispose]();
  self.postMessage({ port: path.port });
};
