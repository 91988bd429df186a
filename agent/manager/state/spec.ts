/**
 * Rules for intercept specs: what a valid one looks like, and when two are the same.
 *
 * @module
 */
import {
  type InterceptFilter,
  type InterceptSpec,
  TpxError,
} from "../../../tunnel/protocol/mod.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checks an intercept spec.
 *
 * @param spec what a daemon asked for
 * @throws {TpxError} `invalid_intercept` (category `user`) naming the first problem
 */
export function validateSpec(spec: InterceptSpec): void {
  if (spec.name === "") invalid("Invalid intercept name: it is empty");
  if (spec.name.length > 63 || !DNS_LABEL.test(spec.name)) {
    invalid(
      `Invalid intercept name "${spec.name}": use at most 63 lowercase letters, digits and "-", ` +
        "starting and ending with a letter or digit",
    );
  }
  if (spec.namespace.length > 63 || !DNS_LABEL.test(spec.namespace)) {
    invalid(`Invalid namespace "${spec.namespace}": it is not a Kubernetes namespace name`);
  }
  if (spec.workload.length > 253 || !DNS_SUBDOMAIN.test(spec.workload)) {
    invalid(`Invalid workload "${spec.workload}": it is not a Kubernetes workload name`);
  }
  if (spec.servicePort === "") invalid("Invalid service port: it is empty");
  for (const filter of spec.filters) {
    const problem = filterProblem(filter);
    if (problem) invalid(`Invalid filter ${describeFilter(filter)}: ${problem}`);
  }
}

/**
 * A filter in words, for messages.
 *
 * @param filter the filter
 * @returns such as `header "x-user" regex "^alice"` or `path prefix "/api"`
 */
export function describeFilter(filter: InterceptFilter): string {
  const name = filter.name === undefined ? "" : ` "${filter.name}"`;
  return `${filter.on}${name} ${filter.match} "${filter.value}"`;
}

/**
 * Whether two filter lists take the same requests as sets: order and repetition do not
 * matter, nor the case of header names.
 */
export function sameFilters(a: readonly InterceptFilter[], b: readonly InterceptFilter[]): boolean {
  return filterSetKey(a) === filterSetKey(b);
}

/**
 * Whether two specs ask for the same intercept.
 *
 * @param a one spec
 * @param b another
 * @returns true if every field is equal and the filters are the same set
 */
export function sameSpec(a: InterceptSpec, b: InterceptSpec): boolean {
  return a.name === b.name && a.namespace === b.namespace && a.workload === b.workload &&
    a.servicePort === b.servicePort && a.service === b.service && sameFilters(a.filters, b.filters);
}

/** Whether a spec is global: it takes all the traffic of its port. */
export function isGlobal(spec: InterceptSpec): boolean {
  return spec.filters.length === 0;
}

function filterSetKey(filters: readonly InterceptFilter[]): string {
  const keys = new Set(
    filters.map((f) =>
      JSON.stringify([f.on, f.on === "header" ? f.name?.toLowerCase() : "", f.match, f.value])
    ),
  );
  return [...keys].sort().join("\n");
}

function filterProblem(filter: InterceptFilter): string | undefined {
  if (filter.on === "header") {
    if (filter.name === undefined || filter.name === "") return "a header filter needs a name";
    if (!HEADER_NAME.test(filter.name)) return `"${filter.name}" is not an HTTP header name`;
    if (filter.match === "prefix") return 'a header filter matches "exact" or "regex"';
  } else {
    if (filter.name !== undefined) return "a path filter has no name";
    if (filter.match !== "regex" && !filter.value.startsWith("/")) return 'a path starts with "/"';
  }
  if (filter.match === "regex") return regexProblem(filter.value);
  return undefined;
}

function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `the regular expression does not compile (${reason})`;
  }
}

function invalid(message: string): never {
  throw new TpxError("user", message, { code: "invalid_intercept" });
}

/**
 * A copy of a spec with only the fields this version knows, so that unknown fields a newer
 * peer sent are neither stored nor passed on.
 *
 * @param spec the spec as received
 * @returns a fresh spec
 */
export function normalizeSpec(spec: InterceptSpec): InterceptSpec {
  const copy: InterceptSpec = {
    name: spec.name,
    namespace: spec.namespace,
    workload: spec.workload,
    filters: spec.filters.map((f) => {
      const filter: InterceptFilter = { on: f.on, match: f.match, value: f.value };
      if (f.name !== undefined) filter.name = f.name;
      return filter;
    }),
  };
  if (spec.servicePort !== undefined) copy.servicePort = spec.servicePort;
  if (spec.service !== undefined) copy.service = spec.service;
  return copy;
}
