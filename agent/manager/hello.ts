/**
 * What the manager says in its handshake.
 *
 * @module
 */
import {
  type Hello,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  Role,
  TPX_VERSION,
} from "../../tunnel/protocol/mod.ts";

/** The manager's hello. */
export function managerHello(): Hello {
  return {
    role: Role.Manager,
    minProtocol: MIN_PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    software: TPX_VERSION,
  };
}
