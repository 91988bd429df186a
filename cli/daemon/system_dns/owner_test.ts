import assert from "node:assert/strict";
import { FakeRunner } from "./_testing.ts";
import { systemProbe } from "./owner.ts";

const hasProc = (() => {
  try {
    Deno.statSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "systemProbe() sees this process alive under the record it gives of itself",
  ignore: !hasProc,
  async fn() {
    const probe = systemProbe("/proc", new FakeRunner().run);
    const self = await probe.self();
    assert.equal(self.pid, Deno.pid);
    assert.match(self.startTime ?? "", /^\d+$/);
    assert.equal(await probe.alive(self), true);
  },
});

Deno.test({
  name: "systemProbe() tells a process that ended, a reused pid and another boot from a live one",
  ignore: !hasProc,
  async fn() {
    const probe = systemProbe("/proc", new FakeRunner().run);
    const child = new Deno.Command("true").spawn();
    await child.status;
    assert.equal(await probe.alive({ pid: child.pid }), false);

    const self = await probe.self();
    assert.equal(await probe.alive({ ...self, startTime: "1" }), false, "pid reused");
    assert.equal(await probe.alive({ ...self, bootId: "another-boot" }), false);
  },
});

Deno.test("systemProbe() asks kill -0 where there is no /proc", async () => {
  const runner = new FakeRunner();
  runner.answers.set("kill -0 77", {
    success: false,
    code: 1,
    stderr: "kill: (77) - No such process",
  });
  runner.answers.set("kill -0 88", {
    success: false,
    code: 1,
    stderr: "kill: 88: Operation not permitted",
  });
  const probe = systemProbe("/nonexistent-proc", runner.run);
  assert.equal(await probe.alive({ pid: 77 }), false);
  assert.equal(await probe.alive({ pid: 88 }), true, "someone else's process still exists");
  assert.equal(await probe.alive({ pid: 99 }), true);
});
