/**
 * A minimal traffic-manager Deployment for the port-forward tests and benchmarks: the tpx image
 * built from the working tree, labelled as the daemon looks for it. The real installation
 * (RBAC, Service, settings) is `tpx manager install`'s.
 *
 * @module
 */
import { images } from "../../e2e/cluster.ts";

/** The manager's label, as `cluster/port_forward` looks for it. */
export const MANAGER_LABELS = "app.kubernetes.io/name=tpx-manager";

/**
 * A one-replica manager Deployment, Ready once `/readyz` answers on port 8080.
 *
 * @param namespace where
 * @returns the manifest, for `applyYaml()`
 */
export function managerDeployment(namespace: string): string {
  return `
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
      containers:
        - name: manager
          image: ${images.tpx}
          imagePullPolicy: IfNotPresent
          args: ["traffic-manager"]
          ports:
            - {name: api, containerPort: 8080}
            - {name: daemons, containerPort: 8081}
            - {name: agents, containerPort: 8082}
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
            periodSeconds: 1
`;
}
