/**
 * A small YAML writer for JSON-like values, so that `tpx manager manifests` prints without
 * loading client-node (and its YAML library). It writes block style, quotes every string that
 * a YAML 1.1 or 1.2 reader could take for something else, and separates documents with `---`.
 *
 * @module
 */

/** A value the writer accepts: what `JSON.stringify` accepts, minus functions. */
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly YamlValue[]
  | { readonly [key: string]: YamlValue };

/** Words YAML 1.1 readers take for booleans or null. */
const RESERVED = /^(?:y|n|yes|no|true|false|on|off|null|~)$/i;
/** Strings that need no quotes: they start with a letter, `_` or `/` and hold no `: `. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:@-]*$/;

/**
 * Several documents, separated by `---`.
 *
 * @param documents the values, one document each
 * @returns the YAML text, ending with a newline
 * @example
 * ```ts
 * toYamlDocuments([{ kind: "Namespace" }, { kind: "Service" }]);
 * // "kind: Namespace\n---\nkind: Service\n"
 * ```
 */
export function toYamlDocuments(documents: readonly YamlValue[]): string {
  return documents.map(toYaml).join("---\n");
}

/**
 * One document.
 *
 * @param value a JSON-like value; `undefined` fields are left out, as JSON does
 * @returns the YAML text, ending with a newline
 * @throws {TypeError} for a value JSON cannot hold (a function, a symbol, a bigint)
 * @example
 * ```ts
 * toYaml({ metadata: { name: "tpx-manager" }, ports: [8080] });
 * // "metadata:\n  name: tpx-manager\nports:\n  - 8080\n"
 * ```
 */
export function toYaml(value: YamlValue): string {
  return `${block(value, "").join("\n")}\n`;
}

/** The lines of `value` written at `indent`; a scalar or empty collection is one line. */
function block(value: YamlValue, indent: string): string[] {
  if (Array.isArray(value)) return value.length === 0 ? ["[]"] : sequence(value, indent);
  if (isMap(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0 ? ["{}"] : mapping(entries, indent);
  }
  return [scalar(value)];
}

function sequence(items: readonly YamlValue[], indent: string): string[] {
  return items.flatMap((item) => {
    // `- ` takes two columns, so the item's own lines continue at indent + 2.
    const [first, ...rest] = block(item === undefined ? null : item, `${indent}  `);
    return [`${indent}- ${trimIndent(first ?? "", `${indent}  `)}`, ...rest];
  });
}

function mapping(entries: [string, YamlValue][], indent: string): string[] {
  return entries.flatMap(([key, value]) => {
    const name = `${indent}${scalar(key)}:`;
    if (isCollection(value)) return [name, ...block(value, `${indent}  `)];
    return [`${name} ${block(value, indent)[0]}`];
  });
}

function isCollection(value: YamlValue): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return isMap(value) && Object.values(value).some((v) => v !== undefined);
}

function isMap(value: YamlValue): value is { readonly [key: string]: YamlValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function trimIndent(line: string, indent: string): string {
  return line.startsWith(indent) ? line.slice(indent.length) : line;
}

function scalar(value: YamlValue): string {
  switch (typeof value) {
    case "string":
      return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return String(value);
    case "undefined":
      return "null";
    case "object":
      if (value === null) return "null";
  }
  throw new TypeError(`Cannot write a ${typeof value} as YAML`);
}
