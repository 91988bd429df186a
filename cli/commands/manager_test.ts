import assert from "node:assert/strict";
import { managerObjects } from "../../cluster/install/manifests.ts";
import { TPX_VERSION } from "../../tunnel/protocol/mod.ts";
import { recordingTerminal } from "../_test_terminal.ts";
import { ExitCode } from "../exit_codes.ts";
import { runCli } from "../main.ts";
import { parseNamespaces } from "./arguments.ts";

async function readYaml(text: string): Promise<unknown[]> {
  const { loadAllYaml } = await import("@kubernetes/client-node");
  return JSON.parse(JSON.stringify(loadAllYaml(text)));
}

Deno.test("tpx manager manifests prints the default install as YAML documents", async () => {
  const terminal = recordingTerminal();
  assert.equal(await runCli(["manager", "manifests"], terminal), ExitCode.Ok);
  assert.deepEqual(terminal.err, []);
  const documents = await readYaml(terminal.out.join("\n"));
  assert.deepEqual(documents, managerObjects({ image: `ghcr.io/tpx-dev/tpx:${TPX_VERSION}` }));
  assert.match(terminal.out.join("\n"), /\n---\n/);
});

Deno.test("tpx manager manifests passes every option into the objects", async () => {
  const terminal = recordingTerminal();
  const args = [
    "manager",
    "manifests",
    "-n",
    "tpx-x",
    "--image",
    "localhost/tpx:dev",
    "--namespaces",
    "a, b,a",
    "--log-level",
    "debug",
    "--lease-ms",
    "5000",
    "--agent-idle-ms",
    "60000",
  ];
  assert.equal(await runCli(args, terminal), ExitCode.Ok);
  assert.deepEqual(
    await readYaml(terminal.out.join("\n")),
    managerObjects({
      namespace: "tpx-x",
      image: "localhost/tpx:dev",
      namespaces: ["a", "b"],
      logLevel: "debug",
      leaseMs: 5000,
      agentIdleMs: 60000,
    }),
  );
});

Deno.test("tpx manager manifests -o json prints a List kubectl can apply", async () => {
  const terminal = recordingTerminal();
  assert.equal(await runCli(["manager", "manifests", "-o", "json"], terminal), ExitCode.Ok);
  const list = JSON.parse(terminal.out.join("\n"));
  assert.equal(list.kind, "List");
  assert.deepEqual(list.items.map((o: { kind: string }) => o.kind), [
    "Namespace",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Deployment",
    "Service",
  ]);
});

Deno.test("a bad namespace, list or number is a usage error naming it", async () => {
  for (
    const args of [
      ["-n", "Tpx_System"],
      ["--namespaces", "ok,Not_OK"],
      ["--namespaces", " , "],
      ["--lease-ms", "soon"],
    ]
  ) {
    const terminal = recordingTerminal();
    assert.equal(
      await runCli(["manager", "manifests", ...args], terminal),
      ExitCode.Usage,
      args.join(" "),
    );
    assert.match(terminal.err.join("\n"), /namespace|whole number/, args.join(" "));
  }
});

Deno.test("parseNamespaces() trims, drops blanks and duplicates", () => {
  assert.deepEqual(parseNamespaces(" a,b ,,a "), ["a", "b"]);
});

Deno.test("tpx manager install with a missing kubeconfig is a config error on stderr", async () => {
  const terminal = recordingTerminal();
  const code = await runCli(
    ["manager", "install", "--kubeconfig", "/nonexistent/tpx-kubeconfig"],
    terminal,
  );
  assert.equal(code, ExitCode.Config);
  assert.deepEqual(terminal.out, []);
  assert.match(terminal.err.join("\n"), /^Error: .*tpx-kubeconfig/m);
});

Deno.test("tpx manager without a subcommand shows help naming every subcommand", async () => {
  const terminal = recordingTerminal();
  await runCli(["manager", "--help"], terminal);
  const help = terminal.out.join("\n");
  for (const sub of ["install", "upgrade", "uninstall", "manifests"]) {
    assert.match(help, new RegExp(sub));
  }
});

Deno.test("tpx manager install --timeout takes whole seconds", async () => {
  const terminal = recordingTerminal();
  assert.equal(await runCli(["manager", "install", "--timeout", "1.5"], terminal), ExitCode.Usage);
  assert.match(terminal.err.join("\n"), /--timeout.*whole number/);
});
