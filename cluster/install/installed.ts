/**
 * Finding what an earlier install created: every object labelled as one manager's, and the
 * settings its Deployment runs with.
 *
 * @module
 */
import { Label, MANAGED_SELECTOR, Names } from "./labels.ts";
import type { ManifestOptions } from "./manifests.ts";
import type { KubeObject, KubeObjects } from "./objects.ts";

/** The kinds an install creates, and whether tpx looks for them beyond its own namespace. */
const KINDS: readonly { apiVersion: string; kind: string; scope: "own" | "all" }[] = [
  { apiVersion: "apps/v1", kind: "Deployment", scope: "own" },
  { apiVersion: "v1", kind: "Service", scope: "own" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", scope: "all" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", scope: "all" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", scope: "all" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", scope: "all" },
  { apiVersion: "v1", kind: "ServiceAccount", scope: "own" },
  { apiVersion: "v1", kind: "Namespace", scope: "all" },
];

/**
 * Every object of the manager of `namespace`, in the order to delete them (the Deployment
 * first, so that the manager stops before its permissions go; the namespace last).
 *
 * @param objects the generic operations
 * @param namespace the manager's namespace
 * @returns the objects found; empty when nothing is installed there
 * @throws {TpxError} when the cluster refuses a list
 */
export async function installedObjects(
  objects: KubeObjects,
  namespace: string,
): Promise<KubeObject[]> {
  const selector = `${MANAGED_SELECTOR},${Label.ManagerNamespace}=${namespace}`;
  const lists = await Promise.all(
    KINDS.map(({ apiVersion, kind, scope }) =>
      objects.list(apiVersion, kind, selector, scope === "own" ? namespace : undefined)
    ),
  );
  return lists.flat();
}

/** The settings of an installed manager, as its Deployment says. */
export interface InstalledManager {
  version: string;
  image: string;
  options: Omit<ManifestOptions, "image" | "version">;
}

/**
 * Reads the version, image and settings off an installed Deployment.
 *
 * @param deployment the manager's Deployment, as JSON
 * @returns what {@link managerObjects} would need to produce it again
 */
export function installedManager(deployment: KubeObject): InstalledManager {
  const spec = deployment.spec as {
    template?: { spec?: { containers?: { image?: string; env?: EnvEntry[] }[] } };
  };
  const container = spec.template?.spec?.containers?.[0];
  const env = new Map((container?.env ?? []).map((e) => [e.name, e.value]));
  const number = (name: string) => {
    const value = Number(env.get(name));
    return env.has(name) && Number.isFinite(value) ? value : undefined;
  };
  const options: InstalledManager["options"] = {
    namespace: deployment.metadata.namespace ?? Names.DefaultNamespace,
  };
  const managed = env.get("TPX_MANAGED_NAMESPACES");
  if (managed) options.namespaces = managed.split(",");
  if (env.has("TPX_LOG_LEVEL")) options.logLevel = env.get("TPX_LOG_LEVEL");
  if (number("TPX_LEASE_MS") !== undefined) options.leaseMs = number("TPX_LEASE_MS");
  if (number("TPX_AGENT_IDLE_MS") !== undefined) options.agentIdleMs = number("TPX_AGENT_IDLE_MS");
  return {
    version: deployment.metadata.labels?.[Label.Version] ?? "unknown",
    image: container?.image ?? "unknown",
    options,
  };
}

interface EnvEntry {
  name: string;
  value?: string;
}

/**
 * The namespaces whose workloads the manager may have injected.
 *
 * @param found what {@link installedObjects} returned
 * @returns the namespaces, or undefined for all of them (a ClusterRole, or nothing that says)
 */
export function managedNamespaces(found: readonly KubeObject[]): readonly string[] | undefined {
  const deployment = found.find((o) => o.kind === "Deployment");
  if (deployment) return installedManager(deployment).options.namespaces;
  if (found.some((o) => o.kind === "ClusterRole")) return undefined;
  const roles = found.filter((o) => o.kind === "Role").map((o) => o.metadata.namespace ?? "");
  return roles.length > 0 ? roles : undefined;
}

/**
 * `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object.
 *
 * @param object the object
 * @returns its reference, for output
 */
export function refOf(object: KubeObject): string {
  const { name, namespace } = object.metadata;
  return namespace ? `${object.kind}/${namespace}/${name}` : `${object.kind}/${name}`;
}
