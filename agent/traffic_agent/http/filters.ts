/**
 * The HTTP filters of personal intercepts: which requests a developer takes. Every filter of an
 * intercept must match; regexes are compiled once per intercept, not once per request.
 *
 * @module
 */
import { type InterceptFilter, TpxError } from "../../../tunnel/protocol/mod.ts";
import type { HttpHeaders } from "./http_headers.ts";

/** What filters look at in a request head. */
export interface FilterableHead {
  /** The target without its query. */
  readonly path: string;
  readonly headers: HttpHeaders;
}

/** The filters of one intercept, ready to test request heads. */
export interface FilterMatcher {
  /**
   * Whether a request matches every filter.
   *
   * @param head the request head
   * @returns true when every filter matches; true for no filters (a global intercept)
   */
  matches(head: FilterableHead): boolean;
}

type Test = (value: string) => boolean;
type Condition = (head: FilterableHead) => boolean;

/**
 * Compiles an intercept's filters. The manager calls it when an intercept is created, so a bad
 * filter is refused with a clear error instead of failing on every request later.
 *
 * @param filters the intercept's filters
 * @returns a matcher
 * @throws {TpxError} with code `invalid_filter`, naming the filter, for an invalid regex or a
 *   header filter without a header name
 * @example
 * ```ts
 * const matcher = compileFilters([{ on: "header", name: "x-dev", match: "exact", value: "ann" }]);
 * matcher.matches(head);
 * ```
 */
export function compileFilters(filters: readonly InterceptFilter[]): FilterMatcher {
  const conditions = filters.map(compileFilter);
  return {
    matches(head) {
      for (const condition of conditions) if (!condition(head)) return false;
      return true;
    },
  };
}

const compiled = new WeakMap<readonly InterceptFilter[], FilterMatcher>();

/**
 * Whether a request head matches all of `filters`; the filters are compiled on first use and
 * the result kept for as long as the same array lives.
 *
 * @param filters an intercept's filters
 * @param head the request head
 * @returns true when every filter matches
 * @throws {TpxError} as {@link compileFilters} does
 */
export function matches(filters: readonly InterceptFilter[], head: FilterableHead): boolean {
  let matcher = compiled.get(filters);
  if (!matcher) {
    matcher = compileFilters(filters);
    compiled.set(filters, matcher);
  }
  return matcher.matches(head);
}

function compileFilter(filter: InterceptFilter, index: number): Condition {
  const test = compileTest(filter, index);
  if (filter.on === "path") return (head) => test(head.path);
  const name = filter.name;
  if (!name) throw invalid(filter, index, "a header filter needs a header name");
  // A repeated header matches when any of its values does.
  return (head) => head.headers.getAll(name).some(test);
}

function compileTest(filter: InterceptFilter, index: number): Test {
  const expected = filter.value;
  switch (filter.match) {
    case "exact":
      return (value) => value === expected;
    case "prefix":
      return (value) => value.startsWith(expected);
    case "regex": {
      let regex: RegExp;
      try {
        regex = new RegExp(expected);
      } catch (error) {
        throw invalid(filter, index, error instanceof Error ? error.message : String(error));
      }
      return (value) => regex.test(value);
    }
  }
}

function invalid(filter: InterceptFilter, index: number, detail: string): TpxError {
  const subject = filter.on === "path" ? "path" : `header "${filter.name ?? ""}"`;
  return new TpxError(
    "user",
    `Invalid intercept filter ${
      index + 1
    } (${subject} ${filter.match} "${filter.value}"): ${detail}`,
    { code: "invalid_filter", hint: "regexes use JavaScript syntax, such as ^/api/v[0-9]+/" },
  );
}
