/**
 * Parsers of option values that several commands share.
 *
 * @module
 */
import { InvalidArgumentError } from "@commander-js/extra-typings";

/** A Kubernetes namespace name (RFC 1123 label). */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Parses `--namespaces a,b`.
 *
 * @param value the option's text
 * @returns the namespaces, without blanks and duplicates
 * @throws {InvalidArgumentError} for an empty list or a name Kubernetes would refuse
 */
export function parseNamespaces(value: string): string[] {
  const names = [...new Set(value.split(",").map((n) => n.trim()).filter((n) => n !== ""))];
  if (names.length === 0) throw new InvalidArgumentError("give at least one namespace");
  const bad = names.find((n) => !NAMESPACE_NAME.test(n));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a namespace name`);
  return names;
}

/**
 * Parses one namespace name.
 *
 * @param value the option's text
 * @returns the name
 * @throws {InvalidArgumentError} for a name Kubernetes would refuse
 */
export function parseNamespace(value: string): string {
  if (!NAMESPACE_NAME.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not a namespace name`);
  }
  return value;
}
