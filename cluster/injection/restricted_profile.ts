/**
 * The container rules of the Pod Security Standards' "restricted" profile (which includes the
 * "baseline" ones), as the admission controller applies them: a namespace labelled
 * `pod-security.kubernetes.io/enforce: restricted` rejects a pod whose agent breaks any of them,
 * so the agent must pass all, whatever the app does. Pod-level rules (host namespaces, volume
 * types, sysctls) are the workload's business, not the agent's.
 *
 * @module
 */
import type { Container, PodSecurityContext } from "./types.ts";

const ALLOWED_SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t"];
const ALLOWED_SECCOMP = ["RuntimeDefault", "Localhost"];

/**
 * What in the container breaks the restricted profile, given the pod's security context (whose
 * `runAsNonRoot`, `runAsUser` and `seccompProfile` a container inherits).
 *
 * @param container the container
 * @param pod the pod's security context, if any
 * @returns one sentence per broken rule; empty when the container passes
 * @example
 * ```ts
 * restrictedViolations({ name: "app" }); // ["allowPrivilegeEscalation is not false", ...]
 * ```
 */
export function restrictedViolations(container: Container, pod: PodSecurityContext = {}): string[] {
  const sc = container.securityContext ?? {};
  const problems: string[] = [];
  const fail = (problem: string) => problems.push(problem);
  // baseline
  if (sc.privileged) fail("privileged is true");
  if (sc.windowsOptions?.hostProcess) fail("windowsOptions.hostProcess is true");
  if (sc.procMount !== undefined && sc.procMount !== "Default") fail("procMount is not Default");
  if ((container.ports ?? []).some((p) => (p.hostPort ?? 0) !== 0)) fail("a port sets hostPort");
  for (const options of [sc.seLinuxOptions, pod.seLinuxOptions]) {
    if (!options) continue;
    if (!ALLOWED_SELINUX_TYPES.includes(options.type ?? "")) {
      fail("seLinuxOptions.type is not allowed");
    }
    if (options.user || options.role) fail("seLinuxOptions sets user or role");
  }
  for (const profile of [sc.appArmorProfile, pod.appArmorProfile]) {
    if (profile?.type === "Unconfined") fail("appArmorProfile is Unconfined");
  }
  // restricted
  if (sc.allowPrivilegeEscalation !== false) fail("allowPrivilegeEscalation is not false");
  const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
  if (nonRoot !== true) fail("runAsNonRoot is not true");
  if ((sc.runAsUser ?? pod.runAsUser) === 0) fail("runAsUser is 0");
  const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
  if (seccomp === undefined || !ALLOWED_SECCOMP.includes(seccomp)) {
    fail("seccompProfile.type is not RuntimeDefault or Localhost");
  }
  if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail("capabilities.drop lacks ALL");
  if ((sc.capabilities?.add ?? []).some((c) => c !== "NET_BIND_SERVICE")) {
    fail("capabilities.add holds more than NET_BIND_SERVICE");
  }
  return problems;
}
