/**
 * The manager's permissions: exactly what injecting an agent, restoring a workload, watching
 * its pods and answering lookups from watches of Services and EndpointSlices takes, and
 * nothing more (no secrets, no create or delete). Cluster-wide as a ClusterRole, or — when the
 * manager manages only some namespaces — a Role in each.
 *
 * @module
 */
import { clusterRoleName, Names } from "./labels.ts";
import type { KubeObject } from "./objects.ts";

/** One rule of a Role or ClusterRole. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const READ = ["get", "list", "watch"];
const WRITE = [...READ, "patch", "update"];

/** What the manager needs in every namespace it manages. */
export const MANAGED_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "replicasets"], verbs: WRITE },
  { apiGroups: [""], resources: ["services"], verbs: WRITE },
  { apiGroups: [""], resources: ["pods", "endpoints", "events"], verbs: READ },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
];

/**
 * What the manager needs when it manages every namespace: the rules of each, and reading
 * Namespaces, so that lookups tell a missing namespace from a missing Service.
 */
export const CLUSTER_RULES: readonly PolicyRule[] = [
  ...MANAGED_NAMESPACE_RULES,
  { apiGroups: [""], resources: ["namespaces"], verbs: READ },
];

/** What the manager needs in its own namespace when it manages others: to see itself. */
export const OWN_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: [""], resources: ["pods", "services", "endpoints", "events"], verbs: READ },
];

/** Options of {@link rbacObjects}. */
export interface RbacOptions {
  /** The manager's namespace. */
  namespace: string;
  /** The namespaces it manages; absent: all of them. */
  namespaces?: readonly string[] | undefined;
  /** Labels for every object. */
  labels: Record<string, string>;
}

/**
 * The RBAC objects that bind the manager's ServiceAccount to its permissions.
 *
 * @param options the manager's namespace, the managed namespaces and the labels
 * @returns a ClusterRole and ClusterRoleBinding, or a Role and RoleBinding per namespace
 * @example
 * ```ts
 * rbacObjects({ namespace: "tpx-system", namespaces: ["shop"], labels: {} }).map((o) => o.kind);
 * // ["Role", "RoleBinding", "Role", "RoleBinding"]
 * ```
 */
export function rbacObjects(options: RbacOptions): KubeObject[] {
  const { namespace, labels } = options;
  const subject = { kind: "ServiceAccount", name: Names.Manager, namespace };
  if (options.namespaces === undefined) {
    const name = clusterRoleName(namespace);
    return [
      rbacObject("ClusterRole", name, undefined, labels, { rules: CLUSTER_RULES }),
      rbacObject("ClusterRoleBinding", name, undefined, labels, {
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: [subject],
      }),
    ];
  }
  const managed = [...new Set(options.namespaces)];
  const own = managed.includes(namespace) ? [] : [namespace];
  return [...managed, ...own].flatMap((where) => {
    const rules = where === namespace && own.length > 0
      ? OWN_NAMESPACE_RULES
      : MANAGED_NAMESPACE_RULES;
    return [
      rbacObject("Role", Names.Manager, where, labels, { rules }),
      rbacObject("RoleBinding", Names.Manager, where, labels, {
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: Names.Manager },
        subjects: [subject],
      }),
    ];
  });
}

function rbacObject(
  kind: string,
  name: string,
  namespace: string | undefined,
  labels: Record<string, string>,
  body: Record<string, unknown>,
): KubeObject {
  const metadata = namespace === undefined ? { name, labels } : { name, namespace, labels };
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: structuredClone(metadata),
    ...structuredClone(body),
  };
}
