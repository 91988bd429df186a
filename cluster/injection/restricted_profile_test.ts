import assert from "node:assert/strict";
import { restrictedViolations } from "./restricted_profile.ts";
import type { Container } from "./types.ts";

const locked: Container = {
  name: "ok",
  securityContext: {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
    seccompProfile: { type: "RuntimeDefault" },
  },
};

Deno.test("restrictedViolations() passes a locked-down container", () => {
  assert.deepEqual(restrictedViolations(locked), []);
});

Deno.test("restrictedViolations() lists every rule a bare container breaks", () => {
  assert.deepEqual(restrictedViolations({ name: "bare" }), [
    "allowPrivilegeEscalation is not false",
    "runAsNonRoot is not true",
    "seccompProfile.type is not RuntimeDefault or Localhost",
    "capabilities.drop lacks ALL",
  ]);
});

Deno.test("restrictedViolations() lets a container inherit runAsNonRoot and seccomp from the pod", () => {
  const container: Container = {
    name: "inherits",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  };
  const pod = { runAsNonRoot: true, seccompProfile: { type: "Localhost", localhostProfile: "p" } };
  assert.deepEqual(restrictedViolations(container, pod), []);
});

Deno.test("restrictedViolations() refuses privilege, root, host ports and added capabilities", () => {
  const bad: Container = {
    name: "bad",
    ports: [{ containerPort: 80, hostPort: 80 }],
    securityContext: {
      ...locked.securityContext,
      privileged: true,
      runAsUser: 0,
      procMount: "Unmasked",
      capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] },
      seLinuxOptions: { type: "spc_t" },
      appArmorProfile: { type: "Unconfined" },
      seccompProfile: { type: "Unconfined" },
      windowsOptions: { hostProcess: true },
    },
  };
  assert.deepEqual(restrictedViolations(bad), [
    "privileged is true",
    "windowsOptions.hostProcess is true",
    "procMount is not Default",
    "a port sets hostPort",
    "seLinuxOptions.type is not allowed",
    "appArmorProfile is Unconfined",
    "runAsUser is 0",
    "seccompProfile.type is not RuntimeDefault or Localhost",
    "capabilities.add holds more than NET_BIND_SERVICE",
  ]);
});
