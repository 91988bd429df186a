/**
 * Realistic objects for the tests, as the API server returns them (server-owned fields
 * included), deep-frozen so that any mutation of an input throws.
 *
 * @module
 */
import type { InjectOptions } from "./inject.ts";
import type { Service, ServicePort, Workload } from "./types.ts";

/** Freezes an object and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Options every test injects with, unless it says otherwise. */
export const options: InjectOptions = deepFreeze({
  image: "ghcr.io/tpx/tpx:0.1.0",
  managerAddress: "tpx-manager.tpx-system:8081",
});

const serverMetadata = {
  resourceVersion: "4711",
  generation: 3,
  uid: "6b1f1a52-3f0e-4c54-9a55-0b8f5e1c2d11",
  creationTimestamp: "2026-11-20T09:00:00Z",
  managedFields: [{ manager: "kubectl", operation: "Update", apiVersion: "apps/v1" }],
};

/**
 * Deployment "web": a named port "http" used by all its probes and a preStop hook, a second
 * port, env with values and references, envFrom, volume mounts, pod-level security.
 */
export function webDeployment(): Workload {
  return deepFreeze({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "shop",
      labels: { app: "web", team: "shop" },
      annotations: {
        "deployment.kubernetes.io/revision": "3",
        "owner": "team-shop",
      },
      ...serverMetadata,
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: "web", version: "1.4" } },
        spec: {
          securityContext: { runAsNonRoot: true, fsGroup: 2000 },
          containers: [{
            name: "web",
            image: "shop/web:1.4",
            args: ["--listen", ":8080"],
            ports: [
              { name: "http", containerPort: 8080, protocol: "TCP" },
              { name: "metrics", containerPort: 9090, protocol: "TCP" },
            ],
            envFrom: [{ configMapRef: { name: "web-config" } }, {
              secretRef: { name: "web-secrets" },
              prefix: "SECRET_",
            }],
            env: [
              { name: "DATABASE_URL", value: "postgres://db.shop:5432/shop" },
              {
                name: "POD_NAME",
                valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } },
              },
              { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
              {
                name: "MEMORY_LIMIT",
                valueFrom: { resourceFieldRef: { resource: "limits.memory" } },
              },
              { name: "TPX_SHOULD_NOT_LEAK", value: "app's own" },
            ],
            volumeMounts: [
              { name: "config", mountPath: "/app/config" },
              { name: "data", mountPath: "/var/lib/web", mountPropagation: "Bidirectional" },
            ],
            livenessProbe: {
              httpGet: { path: "/healthz", port: "http", scheme: "HTTP" },
              periodSeconds: 10,
            },
            readinessProbe: { httpGet: { path: "/ready", port: "http", scheme: "HTTP" } },
            startupProbe: { tcpSocket: { port: "http" }, failureThreshold: 30 },
            lifecycle: { preStop: { httpGet: { path: "/drain", port: "http" } } },
            resources: { requests: { cpu: "100m", memory: "128Mi" } },
            terminationMessagePath: "/dev/termination-log",
            terminationMessagePolicy: "File",
            imagePullPolicy: "IfNotPresent",
          }],
          volumes: [
            { name: "config", configMap: { name: "web-config" } },
            { name: "data", emptyDir: {} },
          ],
          restartPolicy: "Always",
        },
      },
    },
    status: { replicas: 2, readyReplicas: 2, observedGeneration: 3 },
  });
}

/** A Service of `web` that targets the port by name. */
export function webService(): Service {
  return service("web", { app: "web" }, [{
    name: "http",
    port: 80,
    protocol: "TCP",
    targetPort: "http",
  }]);
}

/** A second Service of `web`, targeting the same port by number and without annotations. */
export function webNumericService(): Service {
  const s = service("web-internal", { app: "web" }, [{
    name: "http",
    port: 8080,
    protocol: "TCP",
    targetPort: 8080,
  }]);
  const { annotations: _, ...metadata } = s.metadata;
  return deepFreeze({ ...s, metadata });
}

/** A Service that selects other pods. */
export function otherService(): Service {
  return service("cart", { app: "cart" }, [{ port: 80, protocol: "TCP", targetPort: 8080 }]);
}

/**
 * StatefulSet "db": one unnamed port, a numeric Service target, no annotations at all.
 */
export function dbStatefulSet(): Workload {
  return deepFreeze({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace: "shop", ...serverMetadata },
    spec: {
      serviceName: "db",
      replicas: 1,
      selector: { matchLabels: { app: "db" } },
      template: {
        metadata: { labels: { app: "db" } },
        spec: {
          containers: [{
            name: "postgres",
            image: "postgres:17",
            ports: [{ containerPort: 5432, protocol: "TCP" }],
            env: [{ name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" }],
            volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }],
            readinessProbe: { exec: { command: ["pg_isready"] } },
          }],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"] },
      }],
    },
  });
}

/** The Service of `db`, targeting 5432 by number. */
export function dbService(): Service {
  return service("db", { app: "db" }, [{
    name: "pg",
    port: 5432,
    protocol: "TCP",
    targetPort: 5432,
  }]);
}

/** ReplicaSet "echo" (no owner): TCP and UDP, an undeclared port, a Service without targetPort. */
export function echoReplicaSet(): Workload {
  return deepFreeze({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "echo", namespace: "shop", labels: { app: "echo" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "echo" } },
      template: {
        metadata: { labels: { app: "echo" }, annotations: { "prometheus.io/scrape": "true" } },
        spec: {
          containers: [{
            name: "echo",
            image: "localhost/tpx-echo:tpx",
            ports: [{ name: "udp", containerPort: 7000, protocol: "UDP" }],
          }],
        },
      },
    },
  });
}

/** The Service of `echo`: 8080 without targetPort (so 8080), and UDP 7000 by name. */
export function echoService(): Service {
  return service("echo", { app: "echo" }, [
    { name: "http", port: 8080, protocol: "TCP" },
    { name: "udp", port: 7000, protocol: "UDP", targetPort: "udp" },
  ]);
}

/** Deployment "api": a proxy container first, then the app, each with a named port. */
export function apiDeployment(): Workload {
  return deepFreeze({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "api", namespace: "shop", annotations: { "a8r.io/owner": "api-team" } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "api" } },
      template: {
        metadata: { labels: { app: "api" } },
        spec: {
          containers: [
            {
              name: "proxy",
              image: "envoyproxy/envoy:v1.31",
              ports: [{ name: "https", containerPort: 8443 }],
              readinessProbe: { tcpSocket: { port: "https" } },
            },
            {
              name: "api",
              image: "shop/api:2.0",
              ports: [{ name: "http", containerPort: 3000 }],
              readinessProbe: { httpGet: { path: "/ready", port: "http" } },
              env: [{ name: "MODE", value: "prod" }],
            },
          ],
        },
      },
    },
  });
}

/** The Service of `api`: two ports, one per container. */
export function apiService(): Service {
  return service("api", { app: "api" }, [
    { name: "https", port: 443, targetPort: "https" },
    { name: "http", port: 80, targetPort: "http" },
  ]);
}

function service(
  name: string,
  selector: Record<string, string>,
  ports: ServicePort[],
): Service {
  return deepFreeze({
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: "shop",
      annotations: { "cloud.example.com/lb": "internal" },
      resourceVersion: "812",
      uid: `uid-${name}`,
    },
    spec: {
      type: "ClusterIP",
      clusterIP: "10.96.0.42",
      selector,
      ports,
      sessionAffinity: "None",
    },
    status: { loadBalancer: {} },
  });
}
