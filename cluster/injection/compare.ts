/**
 * Comparing Kubernetes objects the way "restored exactly" means it: equal in everything but the
 * fields the API server owns and changes on every write.
 *
 * @module
 */

/** Annotations the API server or a controller writes on every change of the pod template. */
export const SERVER_OWNED_ANNOTATIONS: readonly string[] = [
  "deployment.kubernetes.io/revision",
];

const SERVER_OWNED_METADATA = [
  "resourceVersion",
  "generation",
  "uid",
  "creationTimestamp",
  "managedFields",
  "selfLink",
];

/**
 * A copy of the object without the fields the API server owns: `status`, metadata's
 * `resourceVersion`, `generation`, `uid`, `creationTimestamp`, `managedFields`, `selfLink`,
 * the {@link SERVER_OWNED_ANNOTATIONS} (and the annotations map if nothing else is left in
 * it), and the pod template's `creationTimestamp` (the API server writes `null` there).
 *
 * @param object a Kubernetes object as JSON
 * @returns a deep copy without those fields
 * @example
 * ```ts
 * withoutServerFields({ metadata: { name: "web", uid: "1" }, status: {} });
 * // { metadata: { name: "web" } }
 * ```
 */
export function withoutServerFields<T>(object: T): T {
  const copy = structuredClone(object) as Record<string, unknown>;
  delete copy.status;
  const meta = copy.metadata as Record<string, unknown> | undefined;
  if (meta) {
    for (const field of SERVER_OWNED_METADATA) delete meta[field];
    const annotations = meta.annotations as Record<string, string> | undefined;
    if (annotations) {
      for (const key of SERVER_OWNED_ANNOTATIONS) delete annotations[key];
      if (Object.keys(annotations).length === 0) delete meta.annotations;
    }
  }
  const spec = copy.spec as { template?: { metadata?: Record<string, unknown> } } | undefined;
  if (spec?.template?.metadata) delete spec.template.metadata.creationTimestamp;
  return copy as T;
}

/**
 * Where two objects differ once the server's fields are left out: empty when `after` is
 * `before` restored exactly. For the end-to-end test that injects into a real workload,
 * removes, and compares what the cluster returns.
 *
 * @param before the object as it was
 * @param after the object as it is now
 * @returns the JSON paths that differ, such as `spec.template.spec.containers[1]`
 * @example
 * ```ts
 * restorationDiff({ spec: { replicas: 1 } }, { spec: { replicas: 2 } }); // ["spec.replicas"]
 * ```
 */
export function restorationDiff(before: unknown, after: unknown): string[] {
  const paths: string[] = [];
  diff(withoutServerFields(before), withoutServerFields(after), "", paths);
  return paths;
}

/**
 * Whether `actual` contains everything `expected` holds: every field of every object of
 * `expected` has an equal value in `actual`, arrays have the same length, and `actual` may
 * carry more fields — the defaults the API server fills in.
 *
 * @param actual the object read back
 * @param expected the object written
 * @returns true when `actual` covers `expected`
 * @example
 * ```ts
 * covers({ name: "a", protocol: "TCP" }, { name: "a" }); // true
 * ```
 */
export function covers(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length &&
      expected.every((item, i) => covers(actual[i], item));
  }
  if (isObject(expected)) {
    return isObject(actual) && !Array.isArray(actual) &&
      Object.entries(expected).every(([key, value]) => covers(actual[key], value));
  }
  return Object.is(actual, expected);
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      out.push(path);
      return;
    }
    a.forEach((item, i) => diff(item, b[i], `${path}[${i}]`, out));
    return;
  }
  if (isObject(a) && isObject(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const child = path === "" ? key : `${path}.${key}`;
      if (!(key in a) || !(key in b)) out.push(child);
      else diff(a[key], b[key], child, out);
    }
    return;
  }
  if (!Object.is(a, b)) out.push(path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
