/**
 * Throughput of tpx's tunnel over its own port-forward to a traffic-manager in the local
 * cluster:
 *
 * - `portforward_throughput`: against `kubectl port-forward` straight to the echo pod, moving
 *   the same bytes in the same run (tpx's path has one more hop: the manager dials the echo
 *   Service);
 * - `portforward_transport`: against the same tunnel carried by `kubectl port-forward` to the
 *   manager, which isolates the port-forward itself.
 *
 * Needs the cluster (`deno task cluster:up`); works in a namespace of its own and deletes it.
 *
 * @module
 */
import { connectKube } from "../../../cluster/kube/mod.ts";
import { managerChannel } from "../../../cluster/port_forward/mod.ts";
import { dialTcp } from "../../../tunnel/dial.ts";
import {
  applyYaml,
  echoApp,
  kubeconfigPath,
  kubectl,
  podNames,
  portForward,
  rolloutStatus,
  withNamespace,
} from "../../e2e/cluster.ts";
import { type BenchOptions, type BenchResult, figure, round } from "../result.ts";
import { download, type Transfer, upload } from "./http_load.ts";
import { MANAGER_LABELS, managerDeployment } from "./manifests.ts";
import { tunnelPath } from "./paths.ts";

const MiB = 1024 * 1024;

/** One measurement: bytes per second both ways together, and each way. */
interface Sample {
  rate: number;
  up: number;
  down: number;
}

/** Upload then download `bytes` through `port`; both transfers' bytes over both times. */
async function both(port: number, bytes: number): Promise<Sample> {
  const up: Transfer = await upload(port, bytes);
  const down: Transfer = await download(port, bytes);
  return {
    rate: (up.bytes + down.bytes) / (up.seconds + down.seconds),
    up: up.bytes / up.seconds,
    down: down.bytes / down.seconds,
  };
}

function best(samples: Sample[]): Sample {
  return samples.reduce((a, b) => (b.rate > a.rate ? b : a));
}

/** Warms every path up, then measures them in turns; the best round of each. */
async function measure(ports: number[], bytes: number, rounds: number): Promise<Sample[]> {
  for (const port of ports) await both(port, bytes);
  const samples: Sample[][] = ports.map(() => []);
  for (let i = 0; i < rounds; i++) {
    for (const [j, port] of ports.entries()) samples[j]!.push(await both(port, bytes));
  }
  return samples.map(best);
}

/** How much each path moves, and how often. */
interface Volume {
  bytes: number;
  rounds: number;
}

function line(
  name: string,
  value: Sample,
  baseline: Sample,
  what: string,
  { bytes, rounds }: Volume,
): BenchResult {
  return figure(name, round(value.rate), round(baseline.rate), "B/s", {
    baseline_is: what,
    bytes_each_way: bytes,
    rounds,
    upload: round(value.up),
    download: round(value.down),
    baseline_upload: round(baseline.up),
    baseline_download: round(baseline.down),
  });
}

/**
 * Measures tpx's tunnel against kubectl port-forward in a namespace of its own.
 *
 * @param options `quick`: 32 MiB each way and one round; otherwise 128 MiB and three
 * @returns `portforward_throughput` and `portforward_transport`
 */
export async function benchPortForward(options: BenchOptions): Promise<BenchResult[]> {
  const volume: Volume = { bytes: (options.quick ? 32 : 128) * MiB, rounds: options.quick ? 1 : 3 };
  return await withNamespace("bench-tpx-pf", async (ns) => {
    await applyYaml(echoApp({ namespace: ns, name: "echo" }) + "---" + managerDeployment(ns));
    await rolloutStatus(ns, "deployment/echo");
    await rolloutStatus(ns, "deployment/tpx-manager");
    const [echoPod] = await podNames(ns, "app=echo");
    const [managerPod] = await podNames(ns, MANAGER_LABELS);
    const { stdout: ip } = await kubectl(
      ["get", "service", "echo", "-n", ns, "-o", "jsonpath={.spec.clusterIP}"],
      { check: true },
    );
    const echo = { host: ip, port: 80 };

    await using kube = await connectKube({ kubeconfig: kubeconfigPath(), namespace: ns });
    await using tpx = await tunnelPath(() => managerChannel(kube, { namespace: ns }), ns, echo);
    const toEcho = await portForward(ns, `pod/${echoPod}`, 8080);
    const toManager = await portForward(ns, `pod/${managerPod}`, 8081);
    try {
      await using overKubectl = await tunnelPath(
        () => dialTcp("127.0.0.1", toManager.localPort),
        ns,
        echo,
      );
      const [ours, kubectlDirect, tunnelOverKubectl] = await measure(
        [tpx.port, toEcho.localPort, overKubectl.port],
        volume.bytes,
        volume.rounds,
      );
      return [
        line(
          "portforward_throughput",
          ours!,
          kubectlDirect!,
          "kubectl port-forward to the echo pod",
          volume,
        ),
        line(
          "portforward_transport",
          ours!,
          tunnelOverKubectl!,
          "the same tunnel over kubectl port-forward to the manager",
          volume,
        ),
      ];
    } finally {
      await toManager.stop();
      await toEcho.stop();
    }
  });
}
