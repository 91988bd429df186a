/**
 * What the CLI and the daemon say to each other: the bodies of the daemon API, shared so
 * both sides are checked by the compiler.
 *
 * @module
 */
import type { InterceptFilter, InterceptInfo, WireError } from "../../tunnel/protocol/mod.ts";
import type { Route } from "./cluster_routes.ts";
import type { RestoreResult } from "./manager_client.ts";

/** `POST /connect`. */
export interface ConnectRequest {
  kubeconfig?: string;
  context?: string;
  /** The namespace short names resolve in, and intercepts default to. */
  namespace?: string;
  /** Namespaces whose names the workstation resolves; empty: all the manager serves. */
  mappedNamespaces?: string[];
  managerNamespace: string;
  /** Reach the manager at this TCP address instead of through the port-forward (demo, tests). */
  managerAddress?: string;
  /**
   * `auto`: as root, point the system resolver at the stub (restored on quit); `off` (the
   * default when absent): leave it alone.
   */
  systemDns?: "auto" | "off";
  /** The environment the CLI ran in (`KUBECONFIG`, `PATH` for exec plugins, `HOME`). */
  env: Record<string, string>;
}

/** How the daemon reaches the cluster now. */
export interface SessionStatus {
  context: string;
  server: string;
  namespace: string;
  managerNamespace: string;
  managerVersion: string;
  sessionId: string;
  /** Whether the tunnel to the manager is up (it reconnects by itself). */
  tunnel: "up" | "reconnecting";
  dns: DnsStatus;
  proxy?: { address: string; port: number };
  routes: Route[];
}

/** How names resolve on this machine. */
export interface DnsStatus {
  /** `none` when the system's resolver was left alone (not root). */
  mode: string;
  address: string;
  port: number;
  /** What it means for the user, one line. */
  detail: string;
}

/** `GET /status`. */
export interface StatusResponse {
  daemon: { version: string; pid: number; log: string };
  /** Absent when not connected. */
  session?: SessionStatus;
  intercepts: InterceptView[];
  /**
   * Workloads that still carry an agent no intercept uses, and when the manager removes it;
   * absent when the manager could not say.
   */
  dormantAgents?: DormantAgent[];
}

/** A workload whose agent waits for its idle time to end. */
export interface DormantAgent {
  namespace: string;
  workload: string;
  kind: string;
  /** ISO 8601. */
  until: string;
}

/** An intercept as the CLI shows it. */
export interface InterceptView extends InterceptInfo {
  /** Where its traffic goes on this machine. */
  local: { host: string; port: number };
  /** Whether something listens there now; `false` means requests fail fast. */
  localListening?: boolean;
}

/** `POST /intercepts`. */
export interface InterceptRequest {
  name: string;
  workload: string;
  namespace?: string;
  service?: string;
  servicePort?: string;
  localPort: number;
  filters: InterceptFilter[];
}

/** One line of the streamed answer to `POST /intercepts` (NDJSON). */
export type InterceptEvent =
  | { progress: string }
  | { intercept: InterceptView }
  | { error: WireError };

/** `POST /quit`'s answer. */
export interface QuitResponse {
  disconnected: boolean;
  intercepts: string[];
}

/** `GET /handover`: what a daemon of another version needs to take over. */
export interface DaemonHandover {
  connect?: ConnectRequest;
  intercepts: InterceptRequest[];
}

/** `DELETE /intercepts/:name[?restore=true]`: the intercept, and what was restored. */
export interface LeaveResponse extends Partial<RestoreResult> {
  intercept: InterceptInfo;
}
