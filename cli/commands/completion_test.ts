import assert from "node:assert/strict";
import { CommanderError } from "@commander-js/extra-typings";
import { recordingTerminal } from "../_test_terminal.ts";
import { buildProgram } from "../main.ts";
import type { Terminal } from "../output.ts";
import {
  completeWords,
  completionCommand,
  completionScript,
  type CompletionValues,
  completionValues,
  SHELLS,
} from "./completion.ts";

const none: CompletionValues = { intercepts: [], namespaces: [], managerNamespaces: [] };

/** The program as `cli/main.ts` will register it: with `completion`, added once. */
function programWithCompletion(terminal: Terminal) {
  const build = () => {
    const program = buildProgram(terminal);
    if (!program.commands.some((c) => c.name() === "completion")) {
      program.addCommand(completionCommand(terminal, build));
    }
    return program;
  };
  return build();
}

/** The values offered for `words`, without tab's directive line and descriptions. */
function offered(words: string[], values: CompletionValues = none): string[] {
  const lines = completeWords(programWithCompletion(recordingTerminal()), words, values);
  assert.match(lines.at(-1) ?? "", /^:\d+$/, "the last line is the directive");
  return lines.slice(0, -1).map((line) => line.split("\t")[0]!);
}

Deno.test("completionScript() makes bash, zsh and fish scripts that ask tpx for the words", () => {
  const registration = {
    bash: /complete -F __tpx_complete tpx/,
    zsh: /compdef _tpx tpx/,
    fish: /complete -c tpx /,
  };
  for (const shell of SHELLS) {
    const text = completionScript(shell);
    assert.match(text, registration[shell], shell);
    assert.match(text, /tpx completion complete -- /, shell);
  }
});

Deno.test("completion offers every visible command, and not the hidden request command", () => {
  const words = offered([""]);
  for (const command of ["connect", "status", "intercept", "leave", "quit", "manager"]) {
    assert.ok(words.includes(command), `${command} in ${words.join(" ")}`);
  }
  assert.ok(words.includes("completion"));
  assert.deepEqual(offered(["completion", ""]), ["bash", "zsh", "fish"]);
});

Deno.test("completion completes a prefix, subcommands, options and option choices", () => {
  assert.deepEqual(offered(["le"]), ["leave"]);
  assert.deepEqual(offered(["manager", ""]), [
    "install",
    "upgrade",
    "uninstall",
    "manifests",
    "help",
  ]);
  assert.deepEqual(offered(["intercept", "--na"]).sort(), ["--name", "--namespace"]);
  assert.deepEqual(offered(["version", "-o", ""]), ["text", "json"]);
  assert.deepEqual(offered(["manager", "install", "-n", ""]), ["tpx-system"]);
});

Deno.test("completion lets the shell offer files for an option that takes a file, only there", () => {
  const program = programWithCompletion(recordingTerminal());
  assert.deepEqual(completeWords(program, ["connect", "--kubeconfig", ""], none), [":0"]);
  assert.deepEqual(completeWords(program, ["connect", "--context", ""], none), [":4"]);
  assert.equal(completeWords(program, ["version", "-o", ""], none).at(-1), ":4");
});

Deno.test("completion offers the daemon's intercept names for leave and its namespaces", () => {
  const values = {
    intercepts: ["web-shop", "api-shop"],
    namespaces: ["shop"],
    managerNamespaces: ["tpx-team"],
  };
  assert.deepEqual(offered(["leave", ""], values), ["web-shop", "api-shop"]);
  assert.deepEqual(offered(["leave", "a"], values), ["api-shop"]);
  assert.deepEqual(offered(["list", "-n", ""], values), ["shop"]);
  assert.deepEqual(offered(["connect", "--manager-namespace", ""], values), [
    "tpx-team",
    "tpx-system",
  ]);
  assert.deepEqual(offered(["leave", ""]), [], "nothing without a daemon");
});

Deno.test("completionValues() offers nothing, at once, when no daemon answers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tpx-completion-" });
  try {
    assert.deepEqual(await completionValues(`${dir}/daemon.sock`), none);
    await Deno.writeTextFile(`${dir}/daemon.sock`, "not a socket");
    assert.deepEqual(await completionValues(`${dir}/daemon.sock`), none);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tpx completion with an unknown shell is a usage error naming the three shells", async () => {
  const terminal = recordingTerminal();
  const command = completionCommand(terminal, () => buildProgram(terminal))
    .exitOverride()
    .configureOutput({ writeErr: (text) => terminal.stderr(text), writeOut: terminal.stdout });
  const error = await command.parseAsync(["pwsh"], { from: "user" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof CommanderError);
  // cli/main.ts turns every such Commander error into ExitCode.Usage.
  assert.equal(error.code, "commander.invalidArgument");
  assert.match(terminal.err.join("\n"), /'pwsh'.*bash, zsh, fish/);
});

Deno.test("tpx completion bash prints the script through the terminal", async () => {
  const terminal = recordingTerminal();
  await completionCommand(terminal, () => buildProgram(terminal))
    .parseAsync(["bash"], { from: "user" });
  assert.equal(terminal.out.length, 1);
  assert.match(terminal.out[0]!, /^# bash completion for tpx/);
});

/** A `tpx` entry point for a shell: the real program, with `completion` registered. */
async function writeEntry(dir: string): Promise<string> {
  const url = (path: string) => new URL(path, import.meta.url).href;
  const entry = `${dir}/tpx_entry.ts`;
  await Deno.writeTextFile(
    entry,
    `import { buildProgram } from "${url("../main.ts")}";
import { completionCommand } from "${url("./completion.ts")}";
import { processTerminal } from "${url("../output.ts")}";
const terminal = processTerminal();
const build = () => {
  const program = buildProgram(terminal);
  if (!program.commands.some((c) => c.name() === "completion")) {
    program.addCommand(completionCommand(terminal, build));
  }
  return program;
};
await build().parseAsync(Deno.args, { from: "user" });
`,
  );
  return entry;
}

async function hasBash(): Promise<boolean> {
  try {
    return (await new Deno.Command("bash", { args: ["-c", "true"] }).output()).success;
  } catch {
    return false;
  }
}

/**
 * `_get_comp_words_by_ref` comes from the bash-completion package, which the script needs;
 * where the package is not installed, this stands in for it with bash's own variables.
 */
const GET_COMP_WORDS_FALLBACK = `
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
  source /usr/share/bash-completion/bash_completion
fi
if ! declare -F _get_comp_words_by_ref > /dev/null; then
  _get_comp_words_by_ref() {
    words=("\${COMP_WORDS[@]}"); cword=$COMP_CWORD
    cur=\${COMP_WORDS[COMP_CWORD]}; prev=\${COMP_WORDS[COMP_CWORD-1]}
  }
fi
`;

Deno.test({
  name: "the bash script, sourced in bash, completes 'tpx le' to 'leave' by asking tpx",
  ignore: !(await hasBash()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tpx-bash-" });
    try {
      const entry = await writeEntry(dir);
      const config = new URL("../../deno.json", import.meta.url).pathname;
      const tpx =
        `tpx() { '${Deno.execPath()}' run -A --quiet --config '${config}' '${entry}' "$@"; }`;
      const script = [
        tpx,
        GET_COMP_WORDS_FALLBACK,
        "source <(tpx completion bash) || exit 9",
        "COMP_WORDS=(tpx le); COMP_CWORD=1; COMP_LINE='tpx le'; COMP_POINT=6",
        "__tpx_complete 2> /dev/null",
        'printf "%s\\n" "${COMPREPLY[@]}"',
        "COMP_WORDS=(tpx manager un); COMP_CWORD=2",
        "__tpx_complete 2> /dev/null",
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join("\n");
      const output = await new Deno.Command("bash", {
        args: ["-c", script],
        env: { TPX_HOME: dir, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      assert.equal(output.code, 0, decoder.decode(output.stderr));
      assert.deepEqual(decoder.decode(output.stdout).split("\n").filter(Boolean), [
        "leave",
        "uninstall",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
