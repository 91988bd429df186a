/**
 * A few lines of runtime validation for control-message bodies, with the TypeScript type of
 * each schema inferred from it, so a message's type and its check cannot drift apart.
 *
 * @module
 */

/** Checks a decoded JSON value; returns a description of the first problem, or undefined. */
export interface Schema<T> {
  readonly check: (value: unknown, path: string) => string | undefined;
  /** Phantom field that carries the type; never set. */
  readonly _type?: T;
}

/** The type a schema accepts. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

function schema<T>(check: (value: unknown, path: string) => string | undefined): Schema<T> {
  return { check };
}

/** A string of at most `maxLength` characters. */
export function str(maxLength = 4096): Schema<string> {
  return schema((v, path) =>
    typeof v !== "string"
      ? `${path} must be a string`
      : v.length > maxLength
      ? `${path} is longer than ${maxLength} characters`
      : undefined
  );
}

/** An integer in [min, max]. */
export function int(min = 0, max = Number.MAX_SAFE_INTEGER): Schema<number> {
  return schema((v, path) =>
    typeof v !== "number" || !Number.isInteger(v) || v < min || v > max
      ? `${path} must be an integer from ${min} to ${max}`
      : undefined
  );
}

/** A boolean. */
export function bool(): Schema<boolean> {
  return schema((v, path) => typeof v !== "boolean" ? `${path} must be a boolean` : undefined);
}

/** One of the given string literals. */
export function oneOf<const T extends readonly string[]>(...values: T): Schema<T[number]> {
  return schema((v, path) =>
    typeof v !== "string" || !values.includes(v)
      ? `${path} must be one of ${values.map((x) => `"${x}"`).join(", ")}`
      : undefined
  );
}

/** An array of at most `maxItems` items, each checked by `item`. */
export function arr<T>(item: Schema<T>, maxItems = 4096): Schema<T[]> {
  return schema((v, path) => {
    if (!Array.isArray(v)) return `${path} must be an array`;
    if (v.length > maxItems) return `${path} has more than ${maxItems} items`;
    for (let i = 0; i < v.length; i++) {
      const problem = item.check(v[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  });
}

/** A map from strings to values checked by `value`. */
export function record<T>(value: Schema<T>, maxKeys = 4096): Schema<Record<string, T>> {
  return schema((v, path) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return `${path} must be an object`;
    }
    const entries = Object.entries(v);
    if (entries.length > maxKeys) return `${path} has more than ${maxKeys} keys`;
    for (const [key, item] of entries) {
      const problem = value.check(item, `${path}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  });
}

/** Marks a field of {@link obj} as optional. */
export interface Optional<T> extends Schema<T | undefined> {
  readonly optional: true;
}

/** An optional field: absent is fine, present must match. */
export function opt<T>(inner: Schema<T>): Optional<T> {
  return {
    optional: true,
    check: (v, path) => v === undefined ? undefined : inner.check(v, path),
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends Optional<unknown> ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;

/** The object type described by a {@link Shape}. */
export type ObjectOf<S extends Shape> =
  & { [K in RequiredKeys<S>]: Infer<S[K]> }
  & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> };

/**
 * An object with the given fields. Unknown fields are allowed, so that a newer peer may add
 * optional fields without a protocol version bump (see SPEC.md, "Compatibility").
 */
export function obj<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  return schema((v, path) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return `${path} must be an object`;
    }
    const fields = v as Record<string, unknown>;
    for (const [key, field] of Object.entries(shape)) {
      // Only own fields: `{}` has no `toString` field, whatever its prototype says.
      const value = Object.hasOwn(fields, key) ? fields[key] : undefined;
      const problem = field.check(value, `${path}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  });
}
