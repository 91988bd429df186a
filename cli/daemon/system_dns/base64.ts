/**
 * Base64 for the bytes kept in the state file; `btoa`/`atob` work on binary strings, so bytes
 * are mapped one character per byte.
 *
 * @module
 */

/**
 * Bytes as base64.
 *
 * @param bytes any bytes
 * @returns their base64 text
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Base64 back to bytes.
 *
 * @param text base64 text
 * @returns the bytes
 */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
