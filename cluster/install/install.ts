/**
 * `tpx manager install`, `upgrade` and `uninstall` against a cluster: server-side apply of the
 * manager's objects, a wait that names what goes wrong, and an uninstall that restores every
 * injected workload before anything of the manager is deleted.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/errors.ts";
import { TPX_VERSION } from "../../tunnel/protocol/version.ts";
import type { KubeConnection } from "../kube/mod.ts";
import { alreadyInstalled, notInstalled } from "./errors.ts";
import { installedManager, installedObjects, managedNamespaces, refOf } from "./installed.ts";
import { defaultImage, Label, MANAGED_BY, Names } from "./labels.ts";
import { managerObjects, type ManifestOptions } from "./manifests.ts";
import { type KubeObject, type KubeObjects, kubeObjects } from "./objects.ts";
import { restoreInjectedWorkloads } from "./restore.ts";
import { type Progress, RolloutErrorCode, waitForManager, type WaitOptions } from "./rollout.ts";

/** Options of {@link install} and {@link upgrade}. */
export interface InstallOptions extends ManifestOptions {
  /** How long to wait for the manager; see {@link WaitOptions}. */
  wait?: Omit<WaitOptions, "progress" | "since">;
}

/** What {@link install} and {@link upgrade} report. */
export interface InstallResult {
  namespace: string;
  version: string;
  image: string;
  /** The managed namespaces; undefined: all. */
  namespaces: readonly string[] | undefined;
  /** `Kind/namespace/name` of every object applied. */
  objects: string[];
  /** For an upgrade: what ran before. */
  previous?: { version: string; image: string };
}

/** What {@link uninstall} reports. */
export interface UninstallResult {
  namespace: string;
  /** `Kind/namespace/name` of each workload whose agent was removed. */
  restored: string[];
  /** `Kind/namespace/name` of each object deleted. */
  deleted: string[];
}

/**
 * Installs the manager, or applies it again when the same version and image already run.
 *
 * @param kube the connection
 * @param options image, namespaces, settings
 * @param progress receives what is being done and waited for
 * @returns what was installed
 * @throws {TpxError} `manager_already_installed` (hint: `tpx manager upgrade`) when another
 *   version or image runs; `manager_rollout_failed` saying why the manager did not start;
 *   mapped API errors such as `rbac_forbidden`
 */
export async function install(
  kube: KubeConnection,
  options: InstallOptions,
  progress: Progress = () => {},
): Promise<InstallResult> {
  const namespace = options.namespace ?? Names.DefaultNamespace;
  const version = options.version ?? TPX_VERSION;
  const objects = await kubeObjects(kube);
  const existing = await readDeployment(objects, namespace);
  if (existing) {
    const installed = installedManager(existing);
    if (installed.version !== version || installed.image !== options.image) {
      throw alreadyInstalled(namespace, installed, { version, image: options.image });
    }
  }
  return await applyAndWait(kube, objects, { ...options, namespace, version }, progress);
}

/** Options of {@link upgrade}: those of {@link install}, the image too being optional. */
export type UpgradeOptions = Omit<InstallOptions, "image"> & { image?: string | undefined };

/**
 * Moves an installed manager to a new image or settings, keeping the settings not given, and
 * waits until the new pod is available. Without an image, a manager of another tpx version
 * moves to this version's default image, and one of this version keeps its image.
 *
 * @param kube the connection
 * @param options the image and the settings to change
 * @param progress receives what is being done and waited for
 * @returns what runs now, and what ran before
 * @throws {TpxError} `manager_not_installed`; `manager_rollout_failed` (its hint names the
 *   command that goes back); mapped API errors
 */
export async function upgrade(
  kube: KubeConnection,
  options: UpgradeOptions,
  progress: Progress = () => {},
): Promise<InstallResult> {
  const namespace = options.namespace ?? Names.DefaultNamespace;
  const version = options.version ?? TPX_VERSION;
  const objects = await kubeObjects(kube);
  const existing = await readDeployment(objects, namespace);
  if (!existing) throw notInstalled(namespace);
  const installed = installedManager(existing);
  const image = options.image ??
    (installed.version === version ? installed.image : defaultImage(version));
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const merged = { ...installed.options, ...given, image, version, namespace };
  const previous = { version: installed.version, image: installed.image };
  try {
    const result = await applyAndWait(kube, objects, merged, progress);
    return { ...result, previous };
  } catch (error) {
    if (!(error instanceof TpxError) || error.code !== RolloutErrorCode.Failed) throw error;
    throw new TpxError(error.category, error.message, {
      code: error.code,
      hint: `the manager of image "${previous.image}" keeps serving until the new pod is ` +
        `ready; "tpx manager upgrade -n ${namespace} --image ${previous.image}" goes back`,
      cause: error,
    });
  }
}

/**
 * Restores every workload that carries an agent (in the manager's namespaces, or all of them
 * when it managed the whole cluster), then deletes every object of the manager, cluster-scoped
 * ones included, and waits until its namespace is gone.
 *
 * @param kube the connection
 * @param options the manager's namespace
 * @param progress receives what is being done
 * @returns the restored workloads and the deleted objects
 * @throws {TpxError} `manager_not_installed` when nothing of it exists; `restore_conflict`;
 *   mapped API errors
 */
export async function uninstall(
  kube: KubeConnection,
  options: { namespace?: string | undefined },
  progress: Progress = () => {},
): Promise<UninstallResult> {
  const namespace = options.namespace ?? Names.DefaultNamespace;
  const objects = await kubeObjects(kube);
  const found = await installedObjects(objects, namespace);
  if (found.length === 0) throw notInstalled(namespace);
  const restored = await restoreInjectedWorkloads(kube, managedNamespaces(found), progress);
  const deleted: string[] = [];
  for (const object of found) {
    progress(`deleting ${refOf(object)}`);
    if (await objects.delete(object)) deleted.push(refOf(object));
  }
  const ns = found.find((o) => o.kind === "Namespace");
  if (ns) await waitUntilGone(objects, ns, progress);
  return { namespace, restored, deleted };
}

async function applyAndWait(
  kube: KubeConnection,
  objects: KubeObjects,
  options: InstallOptions & { namespace: string },
  progress: Progress,
): Promise<InstallResult> {
  const { namespace } = options;
  const wanted = managerObjects(options);
  // A namespace tpx did not create is the user's: tpx neither relabels nor later deletes it.
  const ns = await objects.read(wanted[0] as KubeObject);
  const ours = ns === undefined || ns.metadata.labels?.[MANAGED_BY.key] === MANAGED_BY.value;
  if (!ours) progress(`using the existing namespace "${namespace}"`);
  const toApply = wanted.filter((o) => o.kind !== "Namespace" || ours);
  const since = new Date();
  for (const object of toApply) {
    progress(`applying ${refOf(object)}`);
    await objects.apply(object);
  }
  await prune(objects, namespace, toApply, progress);
  await waitForManager(kube, namespace, { ...options.wait, since, progress });
  return {
    namespace,
    version: options.version ?? TPX_VERSION,
    image: options.image,
    namespaces: options.namespaces,
    objects: toApply.map(refOf),
  };
}

/** Deletes what an earlier install of this manager created and this one no longer wants. */
async function prune(
  objects: KubeObjects,
  namespace: string,
  wanted: readonly KubeObject[],
  progress: Progress,
): Promise<void> {
  const keep = new Set(wanted.map(refOf));
  for (const object of await installedObjects(objects, namespace)) {
    if (keep.has(refOf(object))) continue;
    progress(`deleting ${refOf(object)}, which this install no longer needs`);
    await objects.delete(object);
  }
}

async function readDeployment(objects: KubeObjects, namespace: string) {
  const deployment = await objects.read({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: Names.Manager, namespace },
  });
  // A Deployment of that name that tpx did not create is not a manager to upgrade.
  return deployment?.metadata.labels?.[Label.Name] === Names.App ? deployment : undefined;
}

async function waitUntilGone(objects: KubeObjects, object: KubeObject, progress: Progress) {
  progress(`waiting until ${refOf(object)} is gone`);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && await objects.read(object) !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
