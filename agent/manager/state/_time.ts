/**
 * Wall-clock helpers for the manager's state. The injected {@link Clock} measures elapsed time
 * (the system clock is `performance.now()`), so wall times are derived from it: that way a
 * fake clock moves the times shown to people too.
 *
 * @module
 */
import type { Clock } from "../../../tunnel/clock.ts";

/**
 * Maps readings of `clock` to epoch milliseconds.
 *
 * @param clock the injected clock
 * @param epochMs the wall time that the clock's current reading stands for
 * @returns a function from a clock reading to epoch milliseconds
 */
export function wallTime(clock: Clock, epochMs: number): (reading: number) => number {
  const offset = epochMs - clock.now();
  return (reading) => offset + reading;
}

/**
 * How long ago something happened, in words.
 *
 * @param elapsedMs milliseconds since it happened
 * @returns such as `"12 minutes ago"`
 */
export function ago(elapsedMs: number): string {
  const minutes = Math.floor(Math.max(0, elapsedMs) / 60_000);
  if (minutes < 1) return "less than a minute ago";
  if (minutes < 120) return minutes === 1 ? "1 minute ago" : `${minutes} minutes ago`;
  return `${Math.floor(minutes / 60)} hours ago`;
}

/**
 * A random identifier of 32 hexadecimal digits (128 bits).
 *
 * @returns the identifier
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
