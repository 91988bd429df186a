/**
 * Test certificates made with openssl: a self-signed server certificate, a CA, and
 * certificates it issues (also expired ones).
 *
 * @module
 */

import { join } from "node:path";

/** A self-signed certificate for `subjectAltName`, made with openssl. */
export async function selfSignedCert(
  dir: string,
  subjectAltName = "DNS:localhost,IP:127.0.0.1",
): Promise<{ cert: string; key: string; certPath: string }> {
  const certPath = join(dir, "server.pem");
  const keyPath = join(dir, "server.key");
  await selfSigned(
    certPath,
    keyPath,
    "/CN=tpx-test",
    "-addext",
    `subjectAltName=${subjectAltName}`,
  );
  return {
    cert: await Deno.readTextFile(certPath),
    key: await Deno.readTextFile(keyPath),
    certPath,
  };
}

/** A self-signed certificate and key, valid for a day, written to the two paths. */
function selfSigned(certPath: string, keyPath: string, subject: string, ...extra: string[]) {
  return openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    subject,
    ...extra,
    "-keyout",
    keyPath,
    "-out",
    certPath,
  );
}

/** Runs openssl with `args`, failing with its stderr. */
async function openssl(...args: string[]): Promise<void> {
  const output = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" })
    .output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
}

/** A test CA in `dir`. */
export interface TestCa {
  caPath: string;
  caKeyPath: string;
}

/** Makes a CA whose certificate and key are PEM files in `dir`. */
export async function certificateAuthority(dir: string): Promise<TestCa> {
  const caPath = join(dir, "ca.pem");
  const caKeyPath = join(dir, "ca.key");
  await selfSigned(caPath, caKeyPath, "/CN=tpx-test-ca");
  return { caPath, caKeyPath };
}

/**
 * A certificate `ca` signed for `CN=<name>`; `days: -1` makes one that expired yesterday.
 *
 * @returns the PEM files and their text
 */
export async function issueCertificate(
  dir: string,
  ca: TestCa,
  name: string,
  options: { subjectAltName?: string; days?: number } = {},
): Promise<{ certPath: string; keyPath: string; cert: string; key: string }> {
  const [certPath, keyPath, csr, ext] = [".pem", ".key", ".csr", ".ext"]
    .map((suffix) => join(dir, `${name}${suffix}`)) as [string, string, string, string];
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    keyPath,
    "-out",
    csr,
  );
  await Deno.writeTextFile(
    ext,
    options.subjectAltName ? `subjectAltName=${options.subjectAltName}\n` : "",
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.caPath,
    "-CAkey",
    ca.caKeyPath,
    "-CAcreateserial",
    "-days",
    String(options.days ?? 1),
    "-extfile",
    ext,
    "-out",
    certPath,
  );
  return {
    certPath,
    keyPath,
    cert: await Deno.readTextFile(certPath),
    key: await Deno.readTextFile(keyPath),
  };
}
