// The Pulumi program (infra/index.ts) under Pulumi's unit-test mocks, with the
// dev stack's committed config (Pulumi.dev.yaml) plus the two secrets. Mocked
// state echoes the inputs, so these tests assert what the program asks
// Docker and PostgreSQL for.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { SERVER_SETTINGS, sharedMemoryBytes } from "../src/settings/server-settings.ts";
import { APP_ROLE_CONNECTION_LIMIT } from "../src/settings/pool-sizing.ts";
import { mockDevStack, resolve, secretValue, type Registered } from "./support/pulumi-mocks.ts";

const PG_PASSWORD = "pg-superuser-S3cret!";
const APP_PASSWORD = "app-role-S3cret/@:x";

const registered: Registered[] = [];
let program: typeof import("../infra/index.ts");

const ofType = (type: string) => registered.filter((r) => r.type === type);
const one = (type: string) => {
  const found = ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

beforeAll(async () => {
  await mockDevStack({ "bollalabz-db:postgresPassword": PG_PASSWORD, "bollalabz-db:appPassword": APP_PASSWORD }, registered, (type) =>
    type === "docker:index/remoteImage:RemoteImage" ? { imageId: "sha256:0123456789abcdef" } : {},
  );
  program = await import("../infra/index.ts");
  // Let every registration settle.
  await resolve(pulumi.all([program.appUrl, program.migrationUrl, program.databaseName]));
});

describe("the container", () => {
  it("runs postgres with exactly the settings module's values (parity, generated from SERVER_SETTINGS)", () => {
    const command: string[] = one("docker:index/container:Container").inputs.command;
    expect(command[0]).toBe("postgres");
    const flags = command.slice(1);
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < flags.length; i += 2) {
      expect(flags[i]).toBe("-c");
      const [name, ...rest] = flags[i + 1]!.split("=");
      pairs.push([name!, rest.join("=")]);
    }
    const fromContainer = new Map(pairs);
    expect(pairs).toHaveLength(fromContainer.size); // no setting given twice
    for (const setting of SERVER_SETTINGS) expect(fromContainer.get(setting.name), setting.name).toBe(setting.value);
    expect(fromContainer.get("shared_preload_libraries")).toBe("pg_stat_statements");
    // The only extra: listen on all interfaces inside the container.
    const extra = [...fromContainer.keys()].filter((n) => !SERVER_SETTINGS.some((s) => s.name === n));
    expect(extra).toEqual(["listen_addresses"]);
    expect(fromContainer.get("listen_addresses")).toBe("*");
  });

  it("publishes the port on 127.0.0.1 by default", () => {
    const { ports } = one("docker:index/container:Container").inputs;
    expect(ports).toEqual([{ internal: 5432, external: 55432, ip: "127.0.0.1" }]);
  });

  it("probes TCP with pg_isready and makes `pulumi up` wait for healthy", () => {
    const { healthcheck, wait, waitTimeout } = one("docker:index/container:Container").inputs;
    expect(healthcheck.tests).toEqual(expect.arrayContaining(["CMD", "pg_isready", "-h", "127.0.0.1"]));
    expect(healthcheck.tests.indexOf("-h")).toBe(healthcheck.tests.indexOf("127.0.0.1") - 1);
    expect(wait).toBe(true);
    expect(waitTimeout).toBeGreaterThanOrEqual(60);
  });

  it("gets the superuser password only as an uploaded root-only file named by POSTGRES_PASSWORD_FILE: not in env or command (docker inspect shows both)", () => {
    const container = one("docker:index/container:Container").inputs;
    expect(container.envs).toEqual(["POSTGRES_PASSWORD_FILE=/run/secrets/bollalabz-postgres-password"]);
    const uploads = secretValue(container.uploads) as Array<{ file: string; content: string; permissions: string }>;
    expect(uploads).toEqual([{ file: "/run/secrets/bollalabz-postgres-password", content: PG_PASSWORD, permissions: "0600" }]);
    for (const visible of [container.envs, container.command, container.healthcheck, container.labels]) {
      expect(JSON.stringify(visible ?? [])).not.toContain(PG_PASSWORD);
      expect(JSON.stringify(visible ?? [])).not.toContain(APP_PASSWORD);
    }
  });

  it("uses the pulled image's id, a named volume at the 18.x data path (/var/lib/postgresql), a restart policy and shm for shared_buffers", () => {
    const image = one("docker:index/remoteImage:RemoteImage").inputs;
    expect(image).toMatchObject({ name: "postgres:18.4", keepLocally: true });
    const volume = one("docker:index/volume:Volume").inputs;
    expect(volume.name).toBe("bollalabz-db-postgres-data");
    const container = one("docker:index/container:Container").inputs;
    expect(container.image).toBe("sha256:0123456789abcdef");
    expect(container.name).toBe("bollalabz-db-postgres");
    expect(container.volumes).toEqual([{ volumeName: "bollalabz-db-postgres-data", containerPath: "/var/lib/postgresql" }]);
    expect(container.restart).toBe("unless-stopped");
    expect(container.shmSize * 1024 ** 2).toBeGreaterThanOrEqual(sharedMemoryBytes());
    expect(container.labels ?? []).toEqual([]); // no network-bind opt-in
  });
});

describe("the database objects", () => {
  it("the postgresql provider connects to the container's published host/port without TLS", () => {
    const provider = one("pulumi:providers:postgresql").inputs;
    // Provider inputs arrive JSON-encoded.
    expect(provider).toMatchObject({ host: "127.0.0.1", port: "55432", sslmode: "disable", username: "postgres", superuser: "true" });
  });

  it("extensions, role, database and grants all use the postgresql provider", () => {
    const pgResources = registered.filter((r) => r.type.startsWith("postgresql:"));
    expect(new Set(pgResources.map((r) => r.type))).toEqual(
      new Set(["postgresql:index/role:Role", "postgresql:index/database:Database", "postgresql:index/extension:Extension", "postgresql:index/defaultPrivileges:DefaultPrivileges", "postgresql:index/grant:Grant", "postgresql:index/grantRole:GrantRole"]),
    );
    for (const r of pgResources) expect(r.provider, r.name).toMatch(/[:$]pulumi:providers:postgresql::/);
    expect(ofType("postgresql:index/extension:Extension").map((e) => e.inputs.name).sort()).toEqual(["pg_stat_statements", "pg_trgm"]);
    for (const e of ofType("postgresql:index/extension:Extension")) expect(e.inputs.database).toBe("bollalabz");
  });

  it("the app role logs in, is not superuser, and its connection limit follows the pool size", () => {
    const role = ofType("postgresql:index/role:Role").find((r) => r.inputs.name === "bollalabz_app")!.inputs;
    expect(role).toMatchObject({ name: "bollalabz_app", login: true, superuser: false, createRole: false, createDatabase: false });
    expect(secretValue(role.password)).toBe(APP_PASSWORD);
    expect(role.connectionLimit).toBe(APP_ROLE_CONNECTION_LIMIT);
  });

  it("the database is owned by the app role, which gets DML on the migration role's tables", () => {
    expect(one("postgresql:index/database:Database").inputs).toMatchObject({ name: "bollalabz", owner: "bollalabz_app" });
    const defaults = ofType("postgresql:index/defaultPrivileges:DefaultPrivileges").map((d) => d.inputs);
    expect(defaults).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ objectType: "table", owner: "postgres", role: "bollalabz_app", privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"] }),
        expect.objectContaining({ objectType: "sequence", owner: "postgres", role: "bollalabz_app", privileges: ["USAGE", "SELECT"] }),
      ]),
    );
  });
  it("verify's reader role: no login, no superuser, no replication; pg_read_all_stats, SELECT on the tables now and later, enterable by the app role", () => {
    const reader = ofType("postgresql:index/role:Role").find((r) => r.inputs.name === "bollalabz_verify")!.inputs;
    expect(reader).toMatchObject({ login: false, superuser: false, replication: false, createRole: false, createDatabase: false, bypassRowLevelSecurity: false, roles: ["pg_read_all_stats"] });
    expect(reader.password).toBeUndefined();
    const forReader = (type: string) => ofType(type).map((r) => r.inputs).filter((i) => i.role === "bollalabz_verify");
    expect(forReader("postgresql:index/defaultPrivileges:DefaultPrivileges")).toEqual([expect.objectContaining({ database: "bollalabz", schema: "public", owner: "postgres", objectType: "table", privileges: ["SELECT"] })]);
    expect(forReader("postgresql:index/grant:Grant")).toEqual([expect.objectContaining({ database: "bollalabz", schema: "public", objectType: "table", privileges: ["SELECT"] })]);
    expect(ofType("postgresql:index/grantRole:GrantRole").map((g) => g.inputs)).toEqual([expect.objectContaining({ role: "bollalabz_app", grantRole: "bollalabz_verify" })]);
  });
});

describe("without replicas (the dev stack's default)", () => {
  it("declares no replication resources and leaves the container as it was: no hba file, no extra network", async () => {
    expect(registered.filter((r) => /random:|physicalReplicationSlot|network:Network/.test(r.type))).toEqual([]);
    expect(ofType("docker:index/container:Container")).toHaveLength(1);
    const container = one("docker:index/container:Container").inputs;
    expect(JSON.stringify(container.command)).not.toContain("hba_file");
    expect((secretValue(container.uploads) as Array<{ file: string }>).map((u) => u.file)).toEqual(["/run/secrets/bollalabz-postgres-password"]);
    expect(container.networksAdvanced ?? []).toEqual([]);
    expect(await resolve(program.replicaUrls)).toEqual([]);
    expect(await resolve(program.replicaPorts)).toEqual([]);
  });
});

describe("stack outputs", () => {
  it("host, port and database name are plain; the URLs are secret and complete", async () => {
    expect(await resolve(program.host)).toBe("127.0.0.1");
    expect(await resolve(program.port)).toBe(55432);
    expect(await resolve(program.databaseName)).toBe("bollalabz");
    expect(await pulumi.isSecret(program.appUrl)).toBe(true);
    expect(await pulumi.isSecret(program.migrationUrl)).toBe(true);

    const app = new URL(await resolve(program.appUrl));
    expect([app.protocol, app.username, decodeURIComponent(app.password), app.hostname, app.port, app.pathname]).toEqual(["postgres:", "bollalabz_app", APP_PASSWORD, "127.0.0.1", "55432", "/bollalabz"]);
    const migration = new URL(await resolve(program.migrationUrl));
    expect([migration.username, decodeURIComponent(migration.password), migration.pathname]).toEqual(["postgres", PG_PASSWORD, "/bollalabz"]);
  });

  it("no plain (non-secret) output carries a password", async () => {
    const outputs = Object.entries(program).filter(([, v]) => pulumi.Output.isInstance(v)) as Array<[string, pulumi.Output<unknown>]>;
    expect(outputs.map(([k]) => k).sort()).toEqual([
      "appRole", "appUrl", "containerName", "databaseName", "host", "migrationUrl", "port",
      "replicaAdminUrls", "replicaContainerNames", "replicaPorts", "replicaUrls", "replicationSlots",
    ]);
    for (const [name, output] of outputs) {
      if (await pulumi.isSecret(output)) continue;
      const text = JSON.stringify(await resolve(output));
      expect(text, name).not.toContain(PG_PASSWORD);
      expect(text, name).not.toContain(APP_PASSWORD);
    }
  });
});
