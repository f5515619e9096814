// The Pulumi program with `bollalabz-db:replicas: 2` under Pulumi's unit-test
// mocks (no engine or Docker here: see STACK_NOTES "Pulumi without the CLI").
// Mocked state echoes the inputs, so these tests assert what the program asks
// Docker and PostgreSQL for: the primary's replication additions, the role,
// one slot per replica, the replica containers and their entrypoint, the
// secret outputs, and that the policy pack passes (and catches) replica ports.
import * as pulumi from "@pulumi/pulumi";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { SERVER_SETTINGS, STANDBY_SETTINGS } from "../src/settings/server-settings.ts";
import { CONTAINER_HBA_FILE } from "../src/container/pg-hba.ts";
import { noNetworkExposedPorts } from "../policy/policies.ts";
import { argsFor } from "./support/policy-args.ts";
import { mockDevStack, resolve, secretValue, type Registered } from "./support/pulumi-mocks.ts";

const PG_PASSWORD = "pg-superuser-S3cret!";
const APP_PASSWORD = "app-role-S3cret/@:x";
const REPLICATION_PASSWORD = "RandomReplicationPassw0rdFromMock";

const CONTAINER = "docker:index/container:Container";
const SLOT = "postgresql:index/physicalReplicationSlot:PhysicalReplicationSlot";
const ROLE = "postgresql:index/role:Role";

const registered: Registered[] = [];
/** Options of the components' children (a transformation on the component sees them in-process). */
const optsByName = new Map<string, pulumi.CustomResourceOptions>();
const record: pulumi.ResourceTransformation = (args) => {
  optsByName.set(args.name, args.opts);
  return undefined;
};
let program: typeof import("../infra/index.ts");
let replicasModule: typeof import("../infra/replicas.ts");

/** The uploads of a container: one secret file makes the whole property secret (so the state stores it encrypted). */
const uploadsOf = (inputs: Record<string, any>) => secretValue(inputs.uploads) as Array<{ file: string; content: string; permissions: string }>;
/** What the stack program registered (the component tests below register more, in whatever order they run). */
let stackResources: readonly Registered[] = [];
const ofType = (type: string) => stackResources.filter((r) => r.type === type);
const byName = (name: string) => {
  const found = registered.filter((r) => r.name === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
/** `-c name=value` pairs of a container command, in order. */
function settingsOf(command: string[]): Map<string, string> {
  expect(command[0]).toBe("postgres");
  const pairs: Array<[string, string]> = [];
  for (let i = 1; i < command.length; i += 2) {
    expect(command[i]).toBe("-c");
    const [name, ...rest] = command[i + 1]!.split("=");
    pairs.push([name!, rest.join("=")]);
  }
  const map = new Map(pairs);
  expect(pairs).toHaveLength(map.size);
  return map;
}

beforeAll(async () => {
  await mockDevStack({ "bollalabz-db:replicas": "2", "bollalabz-db:postgresPassword": PG_PASSWORD, "bollalabz-db:appPassword": APP_PASSWORD }, registered, (type) =>
    type === "docker:index/remoteImage:RemoteImage" ? { imageId: "sha256:0123456789abcdef" } : type === "random:index/randomPassword:RandomPassword" ? { result: REPLICATION_PASSWORD } : {},
  );
  program = await import("../infra/index.ts");
  replicasModule = await import("../infra/replicas.ts");
  await resolve(pulumi.all([program.appUrl, program.replicaUrls, program.replicaAdminUrls, program.replicaPorts, program.replicationSlots]));
  stackResources = [...registered];
});

describe("the primary with replicas", () => {
  it("runs the shared settings plus the generated hba file, and uploads that file (no secret in it)", () => {
    const primary = byName("postgres-container").inputs;
    const settings = settingsOf(primary.command);
    for (const s of SERVER_SETTINGS) expect(settings.get(s.name), s.name).toBe(s.value);
    expect(settings.get("wal_level")).toBe("replica");
    expect(settings.get("hba_file")).toBe(CONTAINER_HBA_FILE);
    // Standby-only settings stay off the primary.
    for (const s of STANDBY_SETTINGS) expect(settings.has(s.name), s.name).toBe(false);
    const uploads = uploadsOf(primary);
    expect(uploads.map((u) => u.file)).toEqual(["/run/secrets/bollalabz-postgres-password", CONTAINER_HBA_FILE]);
    const hba = uploads[1]!;
    expect(hba.file).toBe(CONTAINER_HBA_FILE);
    expect(hba.content).toMatch(/^host\treplication\tbollalabz_replicator\tsamenet\tscram-sha-256$/m);
    expect(hba.content).toMatch(/^host\tall\tall\tall\tscram-sha-256$/m);
    expect(hba.content).not.toContain(PG_PASSWORD);
    expect(hba.content).not.toContain(REPLICATION_PASSWORD);
  });

  it("joins a network of its own under its container name, where the replicas find it", () => {
    const network = byName("postgres-replication").inputs;
    expect(network).toMatchObject({ name: "bollalabz-db-postgres-replication", driver: "bridge" });
    expect(byName("postgres-container").inputs.networksAdvanced).toEqual([{ name: "bollalabz-db-postgres-replication", aliases: ["bollalabz-db-postgres"] }]);
    expect(byName("postgres-container").inputs.ports).toEqual([{ internal: 5432, external: 55432, ip: "127.0.0.1" }]);
  });
});

describe("replication role and slots", () => {
  it("a random 32-character password, marked secret, on a REPLICATION role that can do nothing else", () => {
    expect(byName("replica-password").inputs).toMatchObject({ length: 32, special: false });
    const role = byName("replica-role");
    expect(role.type).toBe(ROLE);
    expect(role.inputs).toMatchObject({ name: "bollalabz_replicator", login: true, replication: true, superuser: false, createDatabase: false, createRole: false, inherit: false, connectionLimit: 4 });
    expect(secretValue(role.inputs.password)).toBe(REPLICATION_PASSWORD);
    expect(role.provider).toMatch(/[:$]pulumi:providers:postgresql::/);
  });

  it("one physical slot per replica, created on the primary through the postgresql provider", () => {
    const slots = ofType(SLOT);
    expect(slots.map((s) => s.inputs.name)).toEqual(["bollalabz_replica_1", "bollalabz_replica_2"]);
    for (const slot of slots) expect(slot.provider, slot.name).toMatch(/[:$]pulumi:providers:postgresql::postgres-postgresql::/);
  });
});

describe("the replica containers", () => {
  const replicas = () => [1, 2].map((i) => byName(`replica-${i}-container`).inputs);

  it("use the primary's image, their own volume at the data path, and publish on 127.0.0.1 at hostPort + i", () => {
    expect(ofType(CONTAINER)).toHaveLength(3);
    replicas().forEach((replica, index) => {
      const i = index + 1;
      expect(replica.name).toBe(`bollalabz-db-postgres-replica-${i}`);
      expect(replica.image).toBe("sha256:0123456789abcdef");
      expect(byName(`replica-${i}-data`).inputs.name).toBe(`bollalabz-db-postgres-replica-${i}-data`);
      expect(replica.volumes).toEqual([{ volumeName: `bollalabz-db-postgres-replica-${i}-data`, containerPath: "/var/lib/postgresql" }]); // the dev stack runs postgres:18
      expect(replica.ports).toEqual([{ internal: 5432, external: 55432 + i, ip: "127.0.0.1" }]);
      expect(replica.networksAdvanced).toEqual([{ name: "bollalabz-db-postgres-replication" }]);
      expect(replica.labels ?? []).toEqual([]);
      expect(replica.restart).toBe("unless-stopped");
    });
  });

  it("run as hot standbys with the primary's settings plus the standby settings", () => {
    for (const replica of replicas()) {
      const settings = settingsOf(replica.command);
      for (const s of [...SERVER_SETTINGS, ...STANDBY_SETTINGS]) expect(settings.get(s.name), s.name).toBe(s.value);
      expect(settings.get("hot_standby_feedback")).toBe("on");
      expect(settings.get("hba_file")).toBe(CONTAINER_HBA_FILE);
      expect(settings.get("listen_addresses")).toBe("*");
    }
  });

  it("are healthy only when the standby accepts TCP connections, and `pulumi up` waits long enough for a clone", () => {
    for (const replica of replicas()) {
      expect(replica.healthcheck.tests).toEqual(["CMD", "pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]);
      expect(replica.healthcheck.startPeriod).toBe(replicasModule.REPLICA_START_PERIOD);
      expect(replica.wait).toBe(true);
      expect(replica.waitTimeout).toBeGreaterThanOrEqual(600);
    }
  });

  it("start through the uploaded entrypoint that clones with pg_basebackup -R -S <own slot> from the primary", () => {
    replicas().forEach((replica, index) => {
      const i = index + 1;
      expect(replica.entrypoints).toEqual([replicasModule.ENTRYPOINT_FILE]);
      const script = uploadsOf(replica).find((u) => u.file === replicasModule.ENTRYPOINT_FILE)!;
      expect(script.permissions).toBe("0755");
      const clone = script.content.split("\n").find((line) => line.includes("pg_basebackup"));
      expect(clone).toContain(`-S 'bollalabz_replica_${i}'`);
      expect(clone).toMatch(/ -R /);
      expect(clone).toContain("-h 'bollalabz-db-postgres' -p 5432 -U 'bollalabz_replicator'");
      expect(script.content).toMatch(/exec 'docker-entrypoint\.sh' "\$@"\n$/);
      expect(uploadsOf(replica).find((u) => u.file === CONTAINER_HBA_FILE)?.content).toContain("bollalabz_replicator");
    });
  });

  it("get the replication password only as a root-only uploaded password file: not in env, command, entrypoint or script", () => {
    for (const replica of replicas()) {
      const passfile = uploadsOf(replica).find((u) => u.file === replicasModule.SECRET_PASSFILE)!;
      expect(passfile.permissions).toBe("0600");
      expect(passfile.content).toBe(`bollalabz-db-postgres:5432:replication:bollalabz_replicator:${REPLICATION_PASSWORD}\n`);
      expect(replica.envs ?? []).toEqual([]);
      const visible = JSON.stringify([replica.command, replica.entrypoints, replica.healthcheck, uploadsOf(replica).filter((u) => u.file !== replicasModule.SECRET_PASSFILE)]);
      for (const secret of [REPLICATION_PASSWORD, PG_PASSWORD, APP_PASSWORD]) expect(visible).not.toContain(secret);
    }
  });

  it("pass the policy pack (loopback-only ports), like the primary", async () => {
    for (const container of ofType(CONTAINER)) expect(await violations(container.inputs), container.name).toEqual([]);
  });
});

async function violations(props: Record<string, unknown>): Promise<string[]> {
  const found: string[] = [];
  const validate = noNetworkExposedPorts.validateResource as (a: ResourceValidationArgs, r: (m: string) => void) => Promise<void> | void;
  await validate(argsFor(CONTAINER, props), (message) => found.push(message));
  return found;
}

describe("the Replicas component on its own", () => {
  const build = async (prefix: string, bindAddress: string, allowNetworkBind: boolean) => {
    const { DatabaseServer } = await import("../infra/database-server.ts");
    const containerName = `${prefix}-pg`;
    const primary = new DatabaseServer(`${prefix}-primary`, {
      image: "postgres:17.10", majorVersion: 17, containerName, hostPort: 6432, bindAddress, allowNetworkBind,
      superuserPassword: pulumi.secret("superuser-password-1"), replication: { role: "repl" },
    });
    const replicas = new replicasModule.Replicas(
      `${prefix}-replica`,
      { count: 2, primary, majorVersion: 17, primaryContainerName: containerName, hostPort: 6432, bindAddress, allowNetworkBind, replicationRole: "repl" },
      { transformations: [record] },
    );
    await resolve(pulumi.all([pulumi.all(replicas.ports), pulumi.all(replicas.containers.map((c) => c.id))]));
    return { primary, replicas };
  };

  it("creates each replica after its slot, the role and the primary, and after the previous replica (one clone at a time)", async () => {
    const { primary, replicas } = await build("order", "127.0.0.1", false);
    const deps = (i: number) => (optsByName.get(`order-replica-${i}-container`)?.dependsOn ?? []) as pulumi.Resource[];
    expect(deps(1)).toEqual(expect.arrayContaining([replicas.slots[0], replicas.role, primary.container]));
    expect(deps(1)).not.toContain(replicas.containers[1]);
    expect(deps(2)).toEqual(expect.arrayContaining([replicas.slots[1], replicas.role, replicas.containers[0]]));
    expect(optsByName.get("order-replica-1-container")?.deleteBeforeReplace).toBe(true);
    for (const name of ["order-replica-1-slot", "order-replica-role", "order-replica-password", "order-replica-1-data"]) expect(optsByName.get(name)?.parent, name).toBe(replicas);
    expect(optsByName.get("order-replica-1-slot")?.provider).toBe(primary.provider);
  });

  it("refuses a primary that was not created with replication (no network, no hba file)", async () => {
    const { DatabaseServer } = await import("../infra/database-server.ts");
    const plain = new DatabaseServer("plain", { image: "postgres:17.10", majorVersion: 17, containerName: "plain", hostPort: 7432, bindAddress: "127.0.0.1", allowNetworkBind: false, superuserPassword: pulumi.secret("superuser-password-1") });
    expect(() => new replicasModule.Replicas("orphan", { count: 1, primary: plain, majorVersion: 17, primaryContainerName: "plain", hostPort: 7432, bindAddress: "127.0.0.1", allowNetworkBind: false, replicationRole: "repl" })).toThrow(/created with `replication`/);
  });

  it("the policy pack rejects replica ports published beyond loopback, unless the stack opted in (label on every replica)", async () => {
    await build("open", "0.0.0.0", false);
    for (const i of [1, 2]) {
      const found = await violations(byName(`open-replica-${i}-container`).inputs);
      expect(found).toHaveLength(1);
      expect(found[0]).toContain(`0.0.0.0:${6432 + i} -> 5432 to the network`);
    }
    await build("optin", "0.0.0.0", true);
    for (const i of [1, 2]) expect(await violations(byName(`optin-replica-${i}-container`).inputs)).toEqual([]);
  });
});

describe("stack outputs with replicas", () => {
  it("replica URLs are secret: the app role's (for the read pool) and the superuser's (for verify --replica)", async () => {
    expect(await pulumi.isSecret(program.replicaUrls)).toBe(true);
    expect(await pulumi.isSecret(program.replicaAdminUrls)).toBe(true);
    const app = (await resolve(program.replicaUrls)).map((u) => new URL(u));
    expect(app.map((u) => [u.username, decodeURIComponent(u.password), u.hostname, u.port, u.pathname])).toEqual([
      ["bollalabz_app", APP_PASSWORD, "127.0.0.1", "55433", "/bollalabz"],
      ["bollalabz_app", APP_PASSWORD, "127.0.0.1", "55434", "/bollalabz"],
    ]);
    const admin = (await resolve(program.replicaAdminUrls)).map((u) => new URL(u));
    expect(admin.map((u) => [u.username, decodeURIComponent(u.password), u.port])).toEqual([
      ["postgres", PG_PASSWORD, "55433"],
      ["postgres", PG_PASSWORD, "55434"],
    ]);
  });

  it("ports, container names and slots are plain, and no plain output carries any of the three passwords", async () => {
    expect(await resolve(program.replicaPorts)).toEqual([55433, 55434]);
    expect(await resolve(program.replicaContainerNames)).toEqual(["bollalabz-db-postgres-replica-1", "bollalabz-db-postgres-replica-2"]);
    expect(await resolve(program.replicationSlots)).toEqual(["bollalabz_replica_1", "bollalabz_replica_2"]);
    const outputs = Object.entries(program).filter(([, v]) => pulumi.Output.isInstance(v)) as Array<[string, pulumi.Output<unknown>]>;
    for (const [name, output] of outputs) {
      if (await pulumi.isSecret(output)) continue;
      const text = JSON.stringify(await resolve(output));
      for (const secret of [PG_PASSWORD, APP_PASSWORD, REPLICATION_PASSWORD]) expect(text, name).not.toContain(secret);
    }
  });
});
