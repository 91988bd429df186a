/**
 * The version handshake: which protocol two peers speak, or why they cannot talk.
 *
 * @module
 */
import { type Hello, Role } from "./frame.ts";

const roleNames: Record<Role, string> = {
  [Role.Daemon]: "daemon",
  [Role.Agent]: "agent",
  [Role.Manager]: "manager",
};

/** The name of a role, for messages. */
export function roleName(role: Role): string {
  return roleNames[role];
}

/** The result of {@link negotiate}. */
export type Negotiation =
  | { ok: true; protocol: number }
  | { ok: false; reason: string };

/**
 * The newest protocol both hellos speak.
 *
 * @param local this peer's hello
 * @param remote the peer's hello
 * @returns the protocol to speak, or a reason that names both versions and the fix
 * @example
 * ```ts
 * negotiate(
 *   { role: Role.Manager, minProtocol: 1, maxProtocol: 2, software: "0.2.0" },
 *   { role: Role.Daemon, minProtocol: 1, maxProtocol: 1, software: "0.1.0" },
 * ); // { ok: true, protocol: 1 }
 * ```
 */
export function negotiate(local: Hello, remote: Hello): Negotiation {
  const protocol = Math.min(local.maxProtocol, remote.maxProtocol);
  if (protocol >= Math.max(local.minProtocol, remote.minProtocol)) return { ok: true, protocol };
  const older = local.maxProtocol < remote.minProtocol ? local : remote;
  const newer = older === local ? remote : local;
  return {
    ok: false,
    reason: `The ${describe(older)} is too old for the ${describe(newer)}: upgrade the ${
      roleName(older.role)
    } to tpx ${newer.software} (${upgradeHint(older.role)})`,
  };
}

function describe(h: Hello): string {
  const range = h.minProtocol === h.maxProtocol
    ? `${h.maxProtocol}`
    : `${h.minProtocol}-${h.maxProtocol}`;
  return `${roleName(h.role)} tpx ${h.software} (protocol ${range})`;
}

function upgradeHint(role: Role): string {
  switch (role) {
    case Role.Manager:
      return 'run "tpx manager upgrade"';
    case Role.Agent:
      return 'run "tpx manager upgrade", which also replaces the agents';
    case Role.Daemon:
      return 'install the newer tpx binary and run "tpx quit" then "tpx connect"; or ' +
        '"tpx manager upgrade" with this tpx moves the manager to its version';
  }
}
