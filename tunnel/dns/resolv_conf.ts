/**
 * The resolvers the machine had: the `nameserver` lines of `/etc/resolv.conf`, where the stub
 * forwards every name that is not the cluster's.
 *
 * @module
 */

import { TpxError } from "../protocol/errors.ts";
import { parseIPv4 } from "./loopback_pool.ts";

/** A DNS server to forward to. */
export interface NameServer {
  hostname: string;
  port: number;
}

/** The file read when no path is given. */
export const RESOLV_CONF_PATH = "/etc/resolv.conf";

/**
 * The name servers of a resolv.conf, in order. `search`, `options` and comments do not
 * matter to a forwarder; an IPv6 zone (`fe80::1%eth0`) cannot be dialled by name, so such
 * lines are skipped.
 *
 * @example
 * ```ts
 * parseResolvConf("search lan\nnameserver 192.168.1.1\n"); // [{ hostname: "192.168.1.1", port: 53 }]
 * ```
 *
 * @param text the file's content
 * @returns the servers, each on port 53
 */
export function parseResolvConf(text: string): NameServer[] {
  const servers: NameServer[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [keyword, address] = line.replace(/[#;].*/, "").trim().split(/\s+/);
    if (keyword !== "nameserver" || address === undefined) continue;
    if (parseIPv4(address) !== undefined || isIPv6(address)) {
      servers.push({ hostname: address, port: 53 });
    }
  }
  return servers;
}

/**
 * Reads the machine's name servers.
 *
 * @param path the file, `/etc/resolv.conf` by default
 * @returns the servers; none when the file does not exist
 * @throws {TpxError} (config) when the file exists but cannot be read
 */
export async function loadSystemNameServers(
  path: string = RESOLV_CONF_PATH,
): Promise<NameServer[]> {
  try {
    return parseResolvConf(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new TpxError("config", `Cannot read the name servers from "${path}"`, {
      code: "resolv_conf_unreadable",
      cause: error,
    });
  }
}

function isIPv6(address: string): boolean {
  return address.includes(":") && /^[0-9a-fA-F:.]+$/.test(address);
}
