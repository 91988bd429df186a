/**
 * Closing what may be closed already.
 *
 * @module
 */

/**
 * Closes a resource that something else may have closed already.
 *
 * @param resource a connection, listener or socket
 */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}
