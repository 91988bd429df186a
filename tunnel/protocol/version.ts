/**
 * Versions peers announce in their hello.
 *
 * @module
 */

/** The newest protocol this build speaks. */
export const PROTOCOL_VERSION = 1;

/** The oldest protocol this build still speaks. */
export const MIN_PROTOCOL_VERSION = 1;

/** tpx's own version; `version_test.ts` keeps it equal to deno.json's. */
export const TPX_VERSION = "0.1.0";
