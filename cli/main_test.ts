import assert from "node:assert/strict";
import { PROTOCOL_VERSION, TPX_VERSION, TpxError } from "../tunnel/protocol/mod.ts";
import { recordingTerminal } from "./_test_terminal.ts";
import { ExitCode } from "./exit_codes.ts";
import { runCli } from "./main.ts";
import { printError } from "./output.ts";

Deno.test("tpx version prints tpx, Deno and protocol versions", async () => {
  const terminal = recordingTerminal();
  assert.equal(await runCli(["version"], terminal), ExitCode.Ok);
  const text = terminal.out.join("\n");
  assert.match(text, new RegExp(`tpx\\s+${TPX_VERSION.replaceAll(".", "\\.")}`));
  assert.match(text, new RegExp(`deno\\s+${Deno.version.deno.replaceAll(".", "\\.")}`));
  assert.match(text, new RegExp(`protocol\\s+${PROTOCOL_VERSION}`));
});

Deno.test("tpx version -o json prints the same as JSON", async () => {
  const terminal = recordingTerminal();
  assert.equal(await runCli(["version", "-o", "json"], terminal), ExitCode.Ok);
  assert.deepEqual(JSON.parse(terminal.out.join("\n")), {
    tpx: TPX_VERSION,
    deno: Deno.version.deno,
    protocol: PROTOCOL_VERSION,
  });
});

Deno.test("tpx with an unknown command exits 127 and suggests nothing silently", async () => {
  const terminal = recordingTerminal();
  assert.equal(await runCli(["conect"], terminal), ExitCode.UnknownCommand);
  assert.match(terminal.err.join("\n"), /unknown command 'conect'/);
});

Deno.test("tpx version -o yaml is a usage error naming the allowed formats", async () => {
  const terminal = recordingTerminal();
  assert.equal(await runCli(["version", "-o", "yaml"], terminal), ExitCode.Usage);
  assert.match(terminal.err.join("\n"), /text, json/);
});

Deno.test("tpx --help lists the commands on stdout", async () => {
  const terminal = recordingTerminal();
  assert.equal(await runCli(["--help"], terminal), ExitCode.Ok);
  assert.match(terminal.out.join("\n"), /version/);
  assert.equal(terminal.err.length, 0);
});

Deno.test("printError shows the hint, and the log only for internal errors", () => {
  const terminal = recordingTerminal();
  const code = printError(
    terminal,
    new TpxError("user", 'Cannot intercept "web": deployment has no port 8080', {
      hint: 'run "tpx list -n shop"',
    }),
    "/tmp/daemon.log",
  );
  assert.equal(code, ExitCode.User);
  assert.deepEqual(terminal.err, [
    'Error: Cannot intercept "web": deployment has no port 8080',
    'Hint: run "tpx list -n shop"',
  ]);
  const internal = recordingTerminal();
  assert.equal(printError(internal, new Error("boom"), "/tmp/daemon.log"), ExitCode.Internal);
  assert.match(internal.err.join("\n"), /\/tmp\/daemon\.log/);
});
