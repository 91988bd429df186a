/**
 * Plugs tpx's credential sources (exec plugins, token files) into client-node. The user entry
 * handed to client-node carries `authProvider: { name: "tpx" }`, which none of client-node's
 * built-in authenticators claims, so it asks the one added with `addAuthenticator()`.
 *
 * @module
 */

import type { ExecPlugin } from "./exec_plugin.ts";
import type { TokenFile } from "./token_file.ts";

/** The `authProvider.name` that routes a user to {@link TpxAuthenticator}. */
export const TPX_AUTH_PROVIDER = "tpx";

/** Where a user's credential comes from, when tpx rather than client-node supplies it. */
export type CredentialSource =
  | { kind: "exec"; plugin: ExecPlugin }
  | { kind: "tokenFile"; file: TokenFile };

/** The request options client-node lets an authenticator fill in. */
interface AuthOptions {
  headers?: Record<string, unknown> | unknown;
  cert?: unknown;
  key?: unknown;
}

/**
 * A client-node `Authenticator` for one credential source.
 *
 * @example
 * ```ts
 * kubeconfig.addAuthenticator(new TpxAuthenticator(source));
 * ```
 */
export class TpxAuthenticator {
  readonly source: CredentialSource;

  constructor(source: CredentialSource) {
    this.source = source;
  }

  /** Whether client-node should ask this authenticator for `user`. */
  isAuthProvider(user: { authProvider?: { name?: unknown } | undefined }): boolean {
    return user.authProvider?.name === TPX_AUTH_PROVIDER;
  }

  /** Sets the bearer token or client certificate on a request. */
  async applyAuthentication(_user: unknown, opts: AuthOptions): Promise<void> {
    const headers = (opts.headers ??= {}) as Record<string, unknown>;
    if (this.source.kind === "tokenFile") {
      headers.Authorization = `Bearer ${await this.source.file.token()}`;
      return;
    }
    const credential = await this.source.plugin.credential();
    if (credential.clientCertificateData !== undefined) {
      opts.cert = credential.clientCertificateData;
    }
    if (credential.clientKeyData !== undefined) opts.key = credential.clientKeyData;
    if (credential.token !== undefined) headers.Authorization = `Bearer ${credential.token}`;
  }

  /** Drops the cached credential after the server rejected it. */
  invalidate(): void {
    if (this.source.kind === "exec") this.source.plugin.invalidate();
    else this.source.file.invalidate();
  }
}
