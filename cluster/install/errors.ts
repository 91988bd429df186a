/**
 * The errors of installing, upgrading and uninstalling the manager that a caller may want to
 * tell apart.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/errors.ts";

/** Stable codes of the errors in this module. */
export const InstallErrorCode = {
  AlreadyInstalled: "manager_already_installed",
  NotInstalled: "manager_not_installed",
} as const;

/**
 * The manager runs in `namespace` at another version or image than the one asked for.
 *
 * @param namespace the manager's namespace
 * @param installed the version and image running
 * @param wanted the version and image asked for
 * @returns a user error whose hint is `tpx manager upgrade`
 */
export function alreadyInstalled(
  namespace: string,
  installed: { version: string; image: string },
  wanted: { version: string; image: string },
): TpxError {
  const what = installed.version === wanted.version
    ? `with image "${installed.image}"`
    : `at version ${installed.version} (image "${installed.image}")`;
  return new TpxError(
    "user",
    `The manager is already installed in namespace "${namespace}" ${what}`,
    {
      code: InstallErrorCode.AlreadyInstalled,
      hint: `run "tpx manager upgrade -n ${namespace} --image ${wanted.image}" to move it to ` +
        `${wanted.version}, or "tpx manager uninstall -n ${namespace}" first`,
    },
  );
}

/**
 * Nothing of the manager exists in `namespace`.
 *
 * @param namespace the namespace that was looked in
 * @returns a user error whose hint is `tpx manager install`
 */
export function notInstalled(namespace: string): TpxError {
  return new TpxError("user", `The manager is not installed in namespace "${namespace}"`, {
    code: InstallErrorCode.NotInstalled,
    hint: `run "tpx manager install -n ${namespace}", or pass the namespace it was installed ` +
      `in with -n ("kubectl get deployments -A -l app.kubernetes.io/managed-by=tpx" finds it)`,
  });
}
