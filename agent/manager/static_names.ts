/**
 * Cluster names from a fixed table instead of the Kubernetes API: for a manager that runs
 * without a cluster (`tpx demo`, loopback tests), given as `TPX_STATIC_NAMES`.
 *
 * @module
 */
import { SERVICE_TTL } from "../../cluster/lookup/answer.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { type NameLookup, notFound } from "./lookup.ts";

/** One entry: a service's addresses and ports. */
interface StaticService {
  addresses: string[];
  ports: { name?: string; port: number; protocol: "TCP" | "UDP" }[];
}

/**
 * Parses the table, such as
 * `{"web.demo.svc.cluster.local": {"addresses": ["127.0.0.1"], "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}}`.
 *
 * @param json the variable's value
 * @returns a lookup answering those names as services, and nothing else
 * @throws {TpxError} (config) naming what is wrong in the table
 */
export function staticNames(json: string): NameLookup {
  const table = new Map<string, StaticService>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw invalid(`it is not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalid("it must be an object from names to services");
  }
  for (const [name, value] of Object.entries(parsed)) {
    table.set(name.toLowerCase().replace(/\.$/, ""), checkService(name, value));
  }
  return (name) => {
    const service = table.get(name.toLowerCase().replace(/\.$/, ""));
    if (service === undefined) return Promise.resolve(notFound);
    return Promise.resolve({ canonical: name, kind: "service", ...service, ttl: SERVICE_TTL });
  };
}

function checkService(name: string, value: unknown): StaticService {
  const service = value as Partial<StaticService> | null;
  const addresses = service?.addresses;
  const ports = service?.ports;
  if (!Array.isArray(addresses) || !addresses.every((a) => typeof a === "string")) {
    throw invalid(`"${name}" needs "addresses", a list of IP addresses`);
  }
  const portOk = (p: StaticService["ports"][number]) =>
    Number.isInteger(p?.port) && p.port > 0 && p.port < 65536 &&
    (p.protocol === "TCP" || p.protocol === "UDP");
  if (!Array.isArray(ports) || !ports.every(portOk)) {
    throw invalid(`"${name}" needs "ports", a list of {name, port, protocol: TCP|UDP}`);
  }
  return { addresses, ports };
}

function invalid(why: string): TpxError {
  return new TpxError("config", `TPX_STATIC_NAMES cannot be used: ${why}`, {
    code: "invalid_static_names",
    hint: "unset it, or fix it",
  });
}
