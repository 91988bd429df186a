/**
 * Requests made from inside the cluster for the day benchmark, with the echo image's client
 * modes in a client pod: who answers a GET (the echo app names its pod, the laptop app says
 * `who`), a wait until the answer changes hands, and an upload timed by the client itself.
 *
 * @module
 */
import { exec } from "../../e2e/cluster.ts";

/** Who answered a request from the cluster. */
export type Answerer =
  | { kind: "app"; pod: string }
  | { kind: "laptop"; who: string }
  | { kind: "error"; message: string };

/**
 * Reads who answered from the echo image's `get` output.
 *
 * @param code the client's exit code
 * @param stdout the body it printed
 * @param stderr its error text
 * @returns the app's pod, the laptop's name, or the error
 */
export function answerer(code: number, stdout: string, stderr: string): Answerer {
  if (code !== 0) return { kind: "error", message: stderr.trim() || `exit code ${code}` };
  try {
    const body = JSON.parse(stdout) as { who?: unknown; pod?: unknown };
    if (typeof body.who === "string") return { kind: "laptop", who: body.who };
    if (typeof body.pod === "string") return { kind: "app", pod: body.pod };
  } catch { /* not JSON: reported below */ }
  return { kind: "error", message: `unexpected answer: ${stdout.slice(0, 200)}` };
}

/**
 * GETs `url` from the client pod.
 *
 * @param namespace the client pod's namespace
 * @param url what to get
 * @returns who answered
 */
export async function ask(namespace: string, url: string): Promise<Answerer> {
  const result = await exec(namespace, "client", ["tpx-echo", "get", url]);
  return answerer(result.code, result.stdout, result.stderr);
}

/**
 * Asks again and again, with no pause (each request is a `kubectl exec`), until `until`
 * accepts `inARow` answers in a row: one answer from the new side does not mean that every
 * caller gets there yet (kube-proxy may still send some to a pod on its way out).
 *
 * @param namespace the client pod's namespace
 * @param url what to get
 * @param until whether the answer is the awaited one
 * @param inARow how many accepted answers in a row end the wait
 * @param timeoutMs when to give up
 * @returns how many requests it took
 * @throws {Error} with the last answer, once the time is up
 */
export async function askUntil(
  namespace: string,
  url: string,
  until: (answer: Answerer) => boolean,
  inARow = 1,
  timeoutMs = 120_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let accepted = 0;
  for (let attempts = 1;; attempts++) {
    const answer = await ask(namespace, url);
    accepted = until(answer) ? accepted + 1 : 0;
    if (accepted === inARow) return attempts;
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out asking ${url} from the cluster; last answer ${JSON.stringify(answer)}`,
      );
    }
  }
}

/** The answer is the echo app's. */
export const fromApp = (answer: Answerer): boolean => answer.kind === "app";

/** The answer is the laptop app's. */
export const fromLaptop = (answer: Answerer): boolean => answer.kind === "laptop";

/** An upload as the client timed it. */
export interface Upload {
  bytes: number;
  seconds: number;
  /** Who received it. */
  who: string;
}

/**
 * Reads the echo image's `post` output, and checks that the receiver counted every byte.
 *
 * @param stdout `{sent, seconds, status, body}` where body is the receiver's JSON answer
 * @returns the upload
 * @throws {Error} when the receiver counted another number of bytes or did not say who it is
 */
export function parseUpload(stdout: string): Upload {
  const out = JSON.parse(stdout) as { sent: number; seconds: number; body: string };
  const body = JSON.parse(out.body) as { who?: string; pod?: string; bytes?: number };
  if (body.bytes !== out.sent) {
    throw new Error(`The receiver counted ${body.bytes} of ${out.sent} bytes`);
  }
  return { bytes: out.sent, seconds: out.seconds, who: body.who ?? `app ${body.pod}` };
}

/**
 * POSTs `bytes` to `url` from the client pod, timed inside the pod (without `kubectl exec`).
 *
 * @param namespace the client pod's namespace
 * @param url where, such as `http://echo.ns/sink`
 * @param bytes how many
 * @returns the upload
 * @throws {Error} when the upload fails
 */
export async function uploadFromCluster(
  namespace: string,
  url: string,
  bytes: number,
): Promise<Upload> {
  const result = await exec(namespace, "client", ["tpx-echo", "post", url, String(bytes)]);
  if (result.code !== 0) throw new Error(`POST ${url} failed: ${result.stderr.trim()}`);
  return parseUpload(result.stdout);
}
