// Loads infra/index.ts the way `pulumi up` does: a separate Node process with
// Pulumi.yaml's nodeargs (tsx), the program imported by file URL like
// @pulumi/pulumi/cmd/run does for `"type": "module"` projects, here under
// Pulumi's mocks instead of the engine (which cannot run on our machines).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { devStackConfig } from "./support/pulumi-mocks.ts";

const run = promisify(execFile);

const HARNESS = `
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
const types = [];
pulumi.runtime.setAllConfig(JSON.parse(process.env.HARNESS_CONFIG), ["bollalabz-db:postgresPassword", "bollalabz-db:appPassword"]);
await pulumi.runtime.setMocks({
  newResource: (a) => { types.push(a.type); return { id: a.name + "-id", state: { ...a.inputs, imageId: "sha256:1", ...(a.type.startsWith("random:") ? { result: "random-password-1" } : {}) } }; },
  call: (a) => a.inputs,
}, "bollalabz-db", "dev", false);
const program = await import(pathToFileURL(realpathSync(process.env.HARNESS_MAIN)).href);
const value = (o) => new Promise((done) => o.apply(done));
const outputs = {};
for (const [k, v] of Object.entries(program)) outputs[k] = { secret: await pulumi.isSecret(v), plain: (await pulumi.isSecret(v)) ? undefined : await value(v) };
console.log(JSON.stringify({ types: [...new Set(types)].sort(), outputs }));
`;

describe("the program loads like `pulumi up` loads it", () => {
  const project = parse(readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { main: string; runtime: { options: { nodeargs: string; typescript: boolean } } };

  /** The program in a Node process of its own with Pulumi.yaml's node flags, the dev stack's config plus `config` and two passwords: its stdout, and what the harness printed last. */
  async function loadProgram(config: Record<string, string>) {
    const nodeArgs = project.runtime.options.nodeargs.split(/\s+/);
    const harnessConfig = { ...devStackConfig(), ...config, "bollalabz-db:postgresPassword": "superuser-password-1", "bollalabz-db:appPassword": "app-role-password-1" };
    const { stdout } = await run(process.execPath, [...nodeArgs, "--input-type=module", "-e", HARNESS], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, HARNESS_CONFIG: JSON.stringify(harnessConfig), HARNESS_MAIN: path.join(PROJECT_ROOT, project.main), PULUMI_NODEJS_TYPESCRIPT: String(project.runtime.options.typescript) },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { types: string[]; outputs: Record<string, { secret: boolean; plain?: unknown }> };
    return { stdout, result };
  }

  it("with Pulumi.yaml's node flags, declares every resource and exports the outputs", async () => {
    expect(project.main).toBe("infra/index.ts");
    const { stdout, result } = await loadProgram({});
    expect(result.types).toEqual(
      expect.arrayContaining(["docker:index/remoteImage:RemoteImage", "docker:index/volume:Volume", "docker:index/container:Container", "pulumi:providers:postgresql", "postgresql:index/role:Role", "postgresql:index/database:Database", "postgresql:index/extension:Extension"]),
    );
    expect(result.outputs).toMatchObject({
      host: { secret: false, plain: "127.0.0.1" },
      port: { secret: false, plain: 55432 },
      databaseName: { secret: false, plain: "bollalabz" },
      appUrl: { secret: true },
      migrationUrl: { secret: true },
    });
    expect(stdout).not.toContain("password-1");
  });

  it("with `bollalabz-db:replicas: 2` too: role, slots, replica containers, secret replica URLs", async () => {
    const { stdout, result } = await loadProgram({ "bollalabz-db:replicas": "2" });
    expect(result.types).toEqual(
      expect.arrayContaining(["random:index/randomPassword:RandomPassword", "postgresql:index/physicalReplicationSlot:PhysicalReplicationSlot", "docker:index/network:Network"]),
    );
    expect(result.outputs).toMatchObject({
      replicaPorts: { secret: false, plain: [55433, 55434] },
      replicationSlots: { secret: false, plain: ["bollalabz_replica_1", "bollalabz_replica_2"] },
      replicaUrls: { secret: true },
      replicaAdminUrls: { secret: true },
    });
    expect(stdout).not.toContain("password-1");
  });
});
