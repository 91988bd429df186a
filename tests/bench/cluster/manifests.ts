/**
 * A minimal traffic-manager Deployment for the port-forward tests and benchmarks: the tpx image
 * built from the working tree, labelled as the daemon looks for it, limited to its own
 * namespace with the permissions a limited manager has there (it reports ready only once its
 * watches of Services and EndpointSlices have listed). The real installation (Service,
 * settings, its own namespace) is `tpx manager install`'s.
 *
 * @module
 */
import { MANAGED_NAMESPACE_RULES } from "../../../cluster/install/rbac.ts";
import { images } from "../../e2e/cluster.ts";

/** The manager's label, as `cluster/port_forward` looks for it. */
export const MANAGER_LABELS = "app.kubernetes.io/name=tpx-manager";

/**
 * A one-replica manager Deployment, Ready once `/readyz` answers on port 8080, with its
 * ServiceAccount, Role and RoleBinding; all of them go with the namespace.
 *
 * @param namespace where, and the one namespace the manager manages
 * @returns the manifest, for `applyYaml()`
 */
export function managerDeployment(namespace: string): string {
  // JSON is YAML: the rules stay those of `tpx manager install` for a managed namespace.
  return `
apiVersion: v1
kind: ServiceAccount
metadata: {name: tpx-manager, namespace: ${namespace}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: tpx-manager, namespace: ${namespace}}
rules: ${JSON.stringify(MANAGED_NAMESPACE_RULES)}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: tpx-manager, namespace: ${namespace}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: tpx-manager}
subjects: [{kind: ServiceAccount, name: tpx-manager, namespace: ${namespace}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tpx-manager, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app.kubernetes.io/name: tpx-manager}}
  template:
    metadata: {labels: {app.kubernetes.io/name: tpx-manager}}
    spec:
      terminationGracePeriodSeconds: 2
      serviceAccountName: tpx-manager
      containers:
        - name: manager
          image: ${images.tpx}
          imagePullPolicy: IfNotPresent
          args: ["traffic-manager"]
          env:
            - {name: TPX_MANAGED_NAMESPACES, value: ${namespace}}
          ports:
            - {name: api, containerPort: 8080}
            - {name: daemons, containerPort: 8081}
            - {name: agents, containerPort: 8082}
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
            periodSeconds: 1
`;
}
