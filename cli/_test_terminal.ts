/**
 * A terminal that records what commands print, for tests.
 *
 * @module
 */
import type { Terminal } from "./output.ts";

/** A {@link Terminal} with the printed lines kept in `out` and `err`. */
export interface RecordingTerminal extends Terminal {
  out: string[];
  err: string[];
}

/** A non-interactive, colourless recording terminal. */
export function recordingTerminal(): RecordingTerminal {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    interactive: false,
    color: false,
  };
}
