/**
 * Names of container ports: Kubernetes accepts only an IANA_SVC_NAME, and tpx has to invent
 * names that are valid, short, unique in the pod, and the same on every run (so that injecting
 * twice gives the same pod template and triggers no rollout).
 *
 * @module
 */

/** The longest port name Kubernetes accepts. */
export const MAX_PORT_NAME_LENGTH = 15;

/**
 * Whether `name` is a valid IANA_SVC_NAME, the rule for container and Service port names.
 *
 * @param name the candidate
 * @returns true when Kubernetes would accept it
 * @example
 * ```ts
 * isValidPortName("tpx-app-http"); // true
 * isValidPortName("8080"); // false: no letter
 * ```
 */
export function isValidPortName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_PORT_NAME_LENGTH &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes("--");
}

/**
 * A port name `prefix-stem`, shortened with a hash of the stem when too long, and varied
 * deterministically until it is not in `taken`.
 *
 * @param prefix lowercase letters and digits with at least one letter, such as `tpx`
 * @param stem what the name stands for: an existing port name or a port number
 * @param taken the names the pod already uses
 * @returns a valid name of at most 15 characters that `taken` does not hold
 * @example
 * ```ts
 * derivePortName("tpx", "http", new Set()); // "tpx-http"
 * derivePortName("tpx", "http", new Set(["tpx-http"])); // "tpx-http-" + 4 hash characters
 * ```
 */
export function derivePortName(prefix: string, stem: string, taken: ReadonlySet<string>): string {
  const plain = `${prefix}-${stem}`;
  if (isValidPortName(plain) && !taken.has(plain)) return plain;
  // A hash keeps long or colliding names distinct without depending on what else is taken
  // more than necessary; the attempt number only changes it when the hash itself collides.
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const hash = shortHash(attempt === 0 ? stem : `${stem}#${attempt}`);
    const room = MAX_PORT_NAME_LENGTH - prefix.length - hash.length - 2;
    const cut = stem.slice(0, Math.max(0, room)).replace(/-+$/, "");
    const name = cut ? `${prefix}-${cut}-${hash}` : `${prefix}-${hash}`;
    if (isValidPortName(name) && !taken.has(name)) return name;
  }
  throw new Error(`No port name left for prefix "${prefix}" and stem "${stem}"`);
}

/** Four base-36 characters of FNV-1a: short, stable across runs and platforms. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % 36 ** 4).toString(36).padStart(4, "0");
}
