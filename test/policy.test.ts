// The policy pack's validate function, called the way the policy server
// calls it (ResourceValidationArgs), on the container the program declares
// and on hand-made variants.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { NotApplicable, argsFor } from "./support/policy-args.ts";
import { NETWORK_BIND_OPT_IN_LABEL, POLICIES, isLoopbackBind, noNetworkExposedPorts } from "../policy/policies.ts";
import { NETWORK_BIND_OPT_IN_LABEL as PROGRAM_LABEL } from "../infra/database-server.ts";

const CONTAINER = "docker:index/container:Container";

async function violations(props: Record<string, unknown>, type = CONTAINER): Promise<string[]> {
  const found: string[] = [];
  const validate = noNetworkExposedPorts.validateResource as (a: ResourceValidationArgs, r: (m: string) => void) => Promise<void> | void;
  await validate(argsFor(type, props), (message) => found.push(message));
  return found;
}

const port = (ip?: string) => [{ internal: 5432, external: 55432, ...(ip === undefined ? {} : { ip }) }];

describe("policy: postgres-port-loopback-only", () => {
  it("is mandatory and is the pack's policy", () => {
    expect(POLICIES).toContain(noNetworkExposedPorts);
    expect(noNetworkExposedPorts.enforcementLevel).toBe("mandatory");
    expect(PROGRAM_LABEL).toBe(NETWORK_BIND_OPT_IN_LABEL);
  });

  it("passes the program's default: published on 127.0.0.1 (and ::1)", async () => {
    expect(await violations({ name: "bollalabz-db-postgres", ports: port("127.0.0.1"), labels: [] })).toEqual([]);
    expect(await violations({ ports: port("::1") })).toEqual([]);
    expect(await violations({ ports: [] })).toEqual([]);
  });

  it.each([["0.0.0.0"], ["::"], ["[::]"], [undefined], [""], ["192.168.1.20"]])("rejects a port published on %j without the opt-in", async (ip) => {
    const found = await violations({ name: "pg", ports: port(ip) });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/publishes .*:55432 -> 5432 to the network/);
    expect(found[0]).toMatch(/bollalabz-db:allowNetworkBind true/);
  });

  it("accepts a network bind with the explicit opt-in label, and only with value true", async () => {
    expect(await violations({ ports: port("0.0.0.0"), labels: [{ label: NETWORK_BIND_OPT_IN_LABEL, value: "true" }] })).toEqual([]);
    expect(await violations({ ports: port("0.0.0.0"), labels: [{ label: NETWORK_BIND_OPT_IN_LABEL, value: "false" }] })).toHaveLength(1);
    expect(await violations({ ports: port("0.0.0.0"), labels: [{ label: "other", value: "true" }] })).toHaveLength(1);
  });

  it("does not apply to other resource types", async () => {
    await expect(violations({ ports: port("0.0.0.0") }, "docker:index/volume:Volume")).rejects.toBeInstanceOf(NotApplicable);
  });

  it("classifies bind addresses", () => {
    expect(["127.0.0.1", "127.0.0.2", "::1", "[::1]"].map(isLoopbackBind)).toEqual([true, true, true, true]);
    expect(["0.0.0.0", "::", "", undefined, "10.0.0.1", "localhost"].map(isLoopbackBind)).toEqual([false, false, false, false, false, false]);
  });
});

describe("the policy pack", () => {
  it("boots the way Pulumi starts it (PulumiPolicy.yaml nodeargs, cwd = pack dir) and serves on a port", async () => {
    const packDir = path.join(PROJECT_ROOT, "policy");
    const spec = parse(readFileSync(path.join(packDir, "PulumiPolicy.yaml"), "utf8")) as { main: string; runtime: { options: { nodeargs: string } } };
    const child = spawn(process.execPath, [...spec.runtime.options.nodeargs.split(/\s+/), path.join(packDir, spec.main)], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${err}`)));
        setTimeout(() => reject(new Error(`no port printed within 30s: ${err}`)), 30_000);
      });
      // The engine reads the analyzer's gRPC port from the first stdout line.
      expect(firstLine).toMatch(/^\d+$/);
    } finally {
      child.kill();
    }
  });
});
