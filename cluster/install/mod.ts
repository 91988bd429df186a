/**
 * Installing, upgrading and uninstalling the in-cluster traffic-manager, and its manifests.
 * Importing this module is cheap: client-node loads only when a function that talks to the
 * cluster runs; {@link managerObjects} and {@link toYamlDocuments} never load it.
 *
 * ```ts
 * import { connectKube } from "../kube/mod.ts";
 * import { install, managerObjects, toYamlDocuments } from "./mod.ts";
 *
 * const text = toYamlDocuments(managerObjects({ image: "ghcr.io/tpx-dev/tpx:0.1.0" }));
 * await using kube = await connectKube({});
 * const result = await install(kube, { image: "ghcr.io/tpx-dev/tpx:0.1.0" }, onProgress);
 * ```
 *
 * @module
 */
export { InstallErrorCode } from "./errors.ts";
export {
  install,
  type InstallOptions,
  type InstallResult,
  uninstall,
  type UninstallResult,
  upgrade,
  type UpgradeOptions,
} from "./install.ts";
export { clusterRoleName, defaultImage, Label, MANAGED_BY, ManagerPort, Names } from "./labels.ts";
export { managerObjects, type ManifestOptions } from "./manifests.ts";
export type { KubeObject } from "./objects.ts";
export { MANAGED_NAMESPACE_RULES, OWN_NAMESPACE_RULES, type PolicyRule } from "./rbac.ts";
export { type Progress, RolloutErrorCode } from "./rollout.ts";
export { toYaml, toYamlDocuments, type YamlValue } from "./yaml.ts";
