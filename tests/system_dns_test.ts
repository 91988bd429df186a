/**
 * The system DNS change for real, as root: in a private mount and network namespace whose
 * /etc/resolv.conf is a bind-mounted temporary file, the `resolv.conf` mode makes glibc's
 * `getent` resolve a cluster name through the stub and another name through the fake upstream
 * the file named before; restore puts the file back byte for byte; and after a daemon is
 * killed with SIGKILL, `repairStale()` does the same.
 *
 * systemd-resolved is not running on this machine (no /run/systemd/resolve), so the
 * `systemd-resolved` mode is covered only by the unit tests on temporary directories.
 *
 * @module
 */
import assert from "node:assert/strict";

const root = Deno.uid() === 0;
const IGNORE_REASON = "needs root to create namespaces and bind-mount /etc/resolv.conf";
const script = new URL("./support/system_dns_netns.ts", import.meta.url).pathname;

const ORIGINAL = "# the test machine's own\nnameserver 127.0.0.2\nsearch example.test\n" +
  "options timeout:1 attempts:2\n";

Deno.test({
  name: "resolv.conf mode resolves cluster names through the stub and restores the file exactly" +
    (root ? "" : ` (ignored: ${IGNORE_REASON})`),
  ignore: !root,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tpx-system-dns-real-" });
    try {
      const resolvConf = `${dir}/resolv.conf`;
      await Deno.writeTextFile(resolvConf, ORIGINAL);
      await Deno.chmod(resolvConf, 0o644);
      const output = await new Deno.Command("unshare", {
        args: [
          "--mount",
          "--net",
          "--propagation",
          "private",
          "--",
          "bash",
          "-c",
          'set -e; export DENO_NO_UPDATE_CHECK=1; ip link set lo up; mount --bind "$1" /etc/resolv.conf; ' +
          'exec "$2" run --allow-all --quiet "$3" scenario "$4"',
          "netns",
          resolvConf,
          Deno.execPath(),
          script,
          `${dir}/state`,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.ok(output.success, `the namespace script failed:\n${stderr}`);
      const report = JSON.parse(new TextDecoder().decode(output.stdout).trim()) as Record<
        string,
        unknown
      >;

      assert.equal(report.repairBefore, "none");
      assert.equal(report.mode, "resolv.conf");
      assert.equal(report.requiredStubPort, 53);
      assert.deepEqual(report.upstreams, [{ hostname: "127.0.0.2", port: 53 }]);
      // Before the change the upstream answers everything, the cluster name included.
      assert.equal(report.beforeWebShop, "192.0.2.7");

      assert.match(String(report.configuredText), /^nameserver 127\.0\.0\.1$/m);
      assert.match(String(report.configuredText), /^search shop example\.test$/m);
      assert.equal(report.webShop, "127.241.0.7", "the cluster name is answered by the stub");
      assert.equal(report.webShortName, "127.241.0.7", "the search list makes web into web.shop");
      assert.equal(report.webFqdn, "127.241.0.7");
      assert.equal(report.other, "192.0.2.7", "another name goes through the stub to the upstream");
      const asked = report.upstreamAskedWhileConfigured as string[];
      assert.ok(asked.includes("db.example.test A"), `upstream was asked ${asked.join(", ")}`);
      for (const name of ["web.shop", "web", "web.shop.svc.cluster.local"]) {
        assert.ok(!asked.includes(`${name} A`), `the upstream was asked about "${name}"`);
      }
      assert.deepEqual(report.restore, ["restored"]);
      assert.equal(report.restoredIdentical, true);

      assert.equal(report.crashChild, JSON.stringify({ configured: "resolv.conf" }));
      assert.equal(report.crashWebShop, "127.241.0.7");
      assert.equal(report.crashStatus, "SIGKILL");
      assert.equal(report.afterCrashStillChanged, true, "the killed daemon left its change");
      assert.equal(report.repair, "repaired");
      assert.equal(report.repairedIdentical, true);
      assert.equal(report.repairAgain, "none");
      assert.equal(report.afterWebShop, "192.0.2.7");

      // The file outside the namespace (the bind mount's source) is the original, byte for byte.
      assert.equal(await Deno.readTextFile(resolvConf), ORIGINAL);
      assert.equal((await Deno.stat(resolvConf)).mode! & 0o7777, 0o644);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
