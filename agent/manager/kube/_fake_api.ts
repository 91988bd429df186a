/**
 * An in-memory {@link WorkloadApi} for the tests: it keeps resourceVersions, answers a stale
 * write with a 409 as the API server does, and can be told to lose races.
 *
 * @module
 */
import type { Service, Workload } from "../../../cluster/injection/mod.ts";
import { KubeApiError } from "../../../cluster/kube/mod.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import { isInjectedRoot, type WorkloadApi } from "./workload_api.ts";

/** The fake, with what it holds and what was written. */
export class FakeApi implements WorkloadApi {
  workload: Workload;
  services: Service[];
  /** Kinds and names of the writes, in order. */
  readonly writes: string[] = [];
  /** Before each of this many writes, someone else changes the object first. */
  racesToLose = 0;
  /** What {@link agentPods} answers. */
  pods: string[] = ["web-5d9c7-abcde"];

  constructor(workload: Workload, services: Service[]) {
    this.workload = structuredClone(workload);
    this.services = structuredClone(services);
  }

  readWorkload(): Promise<Workload> {
    return Promise.resolve(structuredClone(this.workload));
  }

  listServices(): Promise<Service[]> {
    return Promise.resolve(structuredClone(this.services));
  }

  listInjected(namespace: string | undefined): Promise<Workload[]> {
    const here = namespace === undefined || this.workload.metadata.namespace === namespace;
    return Promise.resolve(
      here && isInjectedRoot(this.workload) ? [structuredClone(this.workload)] : [],
    );
  }

  agentPods(): Promise<string[]> {
    return Promise.resolve([...this.pods]);
  }

  replaceWorkload(workload: Workload): Promise<void> {
    this.workload = this.#write(this.workload, workload);
    return Promise.resolve();
  }

  replaceService(service: Service): Promise<void> {
    const i = this.services.findIndex((s) => s.metadata.name === service.metadata.name);
    this.services[i] = this.#write(this.services[i]!, service);
    return Promise.resolve();
  }

  #write<T extends Workload | Service>(stored: T, next: T): T {
    if (this.racesToLose > 0) {
      this.racesToLose--;
      stored.metadata.resourceVersion = bump(stored.metadata.resourceVersion);
    }
    if (next.metadata.resourceVersion !== stored.metadata.resourceVersion) {
      throw new KubeApiError(
        409,
        "Conflict",
        new TpxError("cluster", "the object has been modified", { code: "kube_conflict" }),
      );
    }
    this.writes.push(`${next.kind}/${next.metadata.name}`);
    const written = structuredClone(next);
    written.metadata.resourceVersion = bump(stored.metadata.resourceVersion);
    return written;
  }
}

function bump(version: unknown): string {
  return String(Number(version ?? 0) + 1);
}

/** A Deployment "web" whose container serves port 8080, named "http". */
export function deployment(): Workload {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", resourceVersion: "10", generation: 1 },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [{
            name: "web",
            image: "web:1",
            ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
          }],
        },
      },
    },
  };
}

/** A Service "web" selecting it, port 80 to "http". */
export function service(): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop", resourceVersion: "20" },
    spec: {
      selector: { app: "web" },
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }],
    },
  };
}
