/**
 * The wire contract between daemon, manager and agent: frames, control messages, codec,
 * versions and errors. It imports nothing of the project; every side imports it.
 * SPEC.md beside this file is the same contract for people.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoder, FrameType } from "./mod.ts";
 * const decoder = new FrameDecoder();
 * decoder.push(encodeFrame({ type: FrameType.Fin, streamId: 1 }));
 * decoder.next(); // { type: FrameType.Fin, streamId: 1 }
 * ```
 *
 * @module
 */
export type * from "./byte_channel.ts";
export * from "./codec.ts";
export * from "./control.ts";
export * from "./errors.ts";
export * from "./frame.ts";
export * from "./handshake.ts";
export * from "./version.ts";
