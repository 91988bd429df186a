/**
 * The names and labels every object of the manager carries, in one place: install writes
 * them, uninstall finds what to delete by them, and the CLI prints them.
 *
 * @module
 */
import { TPX_VERSION } from "../../tunnel/protocol/version.ts";

/** The label `tpx manager uninstall` selects on. */
export const MANAGED_BY = { key: "app.kubernetes.io/managed-by", value: "tpx" } as const;

/** `app.kubernetes.io/managed-by=tpx`, as a label selector. */
export const MANAGED_SELECTOR = `${MANAGED_BY.key}=${MANAGED_BY.value}`;

/** Well-known label and annotation keys of the manager's objects. */
export const Label = {
  Name: "app.kubernetes.io/name",
  Component: "app.kubernetes.io/component",
  Version: "app.kubernetes.io/version",
  /** On cluster-scoped objects and Roles: the namespace of the manager they belong to. */
  ManagerNamespace: "tpx.dev/manager-namespace",
} as const;

/** Names of the manager's objects. */
export const Names = {
  /** The Deployment, Service and ServiceAccount. */
  Manager: "tpx-manager",
  /** The `app.kubernetes.io/name` of the manager's pods. */
  App: "tpx-manager",
  DefaultNamespace: "tpx-system",
} as const;

/** The manager's container ports; the daemon port is reached by port-forward only. */
export const ManagerPort = { Api: 8080, Daemon: 8081, Agent: 8082 } as const;

/**
 * The image `tpx manager install` uses without `--image`.
 *
 * @param version the tpx version; this binary's by default
 * @returns `ghcr.io/tpx-dev/tpx:<version>`
 */
export function defaultImage(version: string = TPX_VERSION): string {
  return `ghcr.io/tpx-dev/tpx:${version}`;
}

/**
 * The name of the cluster-scoped RBAC objects of a manager: one per manager namespace, so
 * that two managers in different namespaces do not overwrite each other's.
 *
 * @param namespace the manager's namespace
 * @returns e.g. `tpx-manager-tpx-system`
 */
export function clusterRoleName(namespace: string): string {
  return `${Names.Manager}-${namespace}`;
}
