/**
 * The few fields of Kubernetes objects that injection reads or writes, as plain JSON. Every
 * interface keeps an index signature: fields tpx does not know pass through untouched, which is
 * what lets removal give back the object byte for byte.
 *
 * @module
 */

/** A port given by number or by name, as Kubernetes' `IntOrString`. */
export type IntOrString = number | string;

/** `metadata` of an object. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  [field: string]: unknown;
}

/** A port a container declares. */
export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
  hostPort?: number;
  [field: string]: unknown;
}

/** One entry of a container's `env`. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    resourceFieldRef?: { containerName?: string; resource: string; [field: string]: unknown };
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** A volume mounted into a container. */
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  mountPropagation?: string;
  [field: string]: unknown;
}

/** A probe or a lifecycle hook handler: the parts that may name a port. */
export interface PortHandler {
  httpGet?: { port: IntOrString; [field: string]: unknown };
  tcpSocket?: { port: IntOrString; [field: string]: unknown };
  grpc?: { port: number; [field: string]: unknown };
  [field: string]: unknown;
}

/** A container's security context, as far as Pod Security looks at it. */
export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string; localhostProfile?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string; level?: string };
  appArmorProfile?: { type: string; localhostProfile?: string };
  windowsOptions?: { hostProcess?: boolean; [field: string]: unknown };
  [field: string]: unknown;
}

/** Requests and limits of a container. */
export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  [field: string]: unknown;
}

/** A container of a pod. */
export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  args?: string[];
  ports?: ContainerPort[];
  env?: EnvVar[];
  envFrom?: Record<string, unknown>[];
  volumeMounts?: VolumeMount[];
  resources?: ResourceRequirements;
  securityContext?: SecurityContext;
  livenessProbe?: PortHandler;
  readinessProbe?: PortHandler;
  startupProbe?: PortHandler;
  lifecycle?: { postStart?: PortHandler; preStop?: PortHandler; [field: string]: unknown };
  [field: string]: unknown;
}

/** The pod-level security context: the defaults its containers inherit. */
export interface PodSecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  seccompProfile?: { type: string; localhostProfile?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string; level?: string };
  appArmorProfile?: { type: string; localhostProfile?: string };
  [field: string]: unknown;
}

/** A pod's spec. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  securityContext?: PodSecurityContext;
  [field: string]: unknown;
}

/** The pod template of a workload. */
export interface PodTemplate {
  metadata?: ObjectMeta;
  spec: PodSpec;
  [field: string]: unknown;
}

/** A Deployment, StatefulSet or ReplicaSet (or, before it is refused, any other kind). */
export interface Workload {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  spec: { template: PodTemplate; [field: string]: unknown };
  [field: string]: unknown;
}

/** A port of a Service. */
export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  /** Absent: the same as `port`. */
  targetPort?: IntOrString;
  [field: string]: unknown;
}

/** A Service. */
export interface Service {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  spec: { selector?: Record<string, string>; ports?: ServicePort[]; [field: string]: unknown };
  [field: string]: unknown;
}

/** The protocols the agent can front. */
export type AgentProtocol = "TCP" | "UDP";
