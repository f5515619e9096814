// The components on their own under mocks: children are parented, the
// container is replaced delete-first (fixed name and port), and the variants
// the dev stack does not exercise (PostgreSQL 18 data path, network-bind
// opt-in) come out right.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

interface Seen {
  readonly type: string;
  readonly name: string;
  readonly opts: pulumi.CustomResourceOptions;
}
const seen: Seen[] = [];
const inputsByName = new Map<string, Record<string, any>>();
let mod: typeof import("../infra/database-server.ts");
let appMod: typeof import("../infra/app-database.ts");

// A transformation on the component sees every child's options in-process.
const record: pulumi.ResourceTransformation = (args) => {
  seen.push({ type: args.type, name: args.name, opts: args.opts });
  return undefined;
};
const observed = { transformations: [record] };

const resolve = <T>(output: pulumi.Output<T>) => new Promise<T>((done) => output.apply(done));

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        inputsByName.set(args.name, args.inputs);
        return { id: `${args.name}-id`, state: { ...args.inputs, ...(args.type === "docker:index/remoteImage:RemoteImage" ? { imageId: "sha256:feed" } : {}) } };
      },
      call: (args) => args.inputs,
    },
    "bollalabz-db",
    "test",
    false,
  );
  mod = await import("../infra/database-server.ts");
  appMod = await import("../infra/app-database.ts");
});

const base = {
  image: "postgres:18.1",
  majorVersion: 18,
  containerName: "pg18",
  hostPort: 6432,
  superuserPassword: pulumi.secret("superuser-password-1"),
};

describe("DatabaseServer", () => {
  it("parents its children, replaces the container delete-first, mounts the 18+ data path", async () => {
    const server = new mod.DatabaseServer("v18", { ...base, bindAddress: "127.0.0.1", allowNetworkBind: false }, observed);
    await resolve(pulumi.all([server.host, server.port, server.container.id, server.provider.id]));
    const children = seen.filter((s) => s.name.startsWith("v18-"));
    expect(children.map((c) => c.type).sort()).toEqual(["docker:index/container:Container", "docker:index/remoteImage:RemoteImage", "docker:index/volume:Volume", "pulumi:providers:postgresql"]);
    for (const c of children) expect(c.opts.parent, c.name).toBe(server);
    expect(children.find((c) => c.type === "docker:index/container:Container")!.opts.deleteBeforeReplace).toBe(true);
    expect(await resolve(server.container.urn)).toMatch(/bollalabz-db:index:DatabaseServer\$docker:index\/container:Container::v18-container$/);
    expect(inputsByName.get("v18-container")!.volumes).toEqual([{ volumeName: "pg18-data", containerPath: "/var/lib/postgresql" }]);
    expect(inputsByName.get("v18-postgresql")).toMatchObject({ expectedVersion: "18", port: "6432" });
  });

  it("labels a network bind with the opt-in and connects through loopback", async () => {
    const server = new mod.DatabaseServer("open", { ...base, containerName: "open", bindAddress: "0.0.0.0", allowNetworkBind: true });
    expect(await resolve(server.host)).toBe("127.0.0.1");
    const container = inputsByName.get("open-container")!;
    expect(container.ports).toEqual([{ internal: 5432, external: 6432, ip: "0.0.0.0" }]);
    expect(container.labels).toEqual([{ label: mod.NETWORK_BIND_OPT_IN_LABEL, value: "true" }]);
    expect(mod.clientHostFor("::")).toBe("::1");
    expect(mod.clientHostFor("192.168.1.20")).toBe("192.168.1.20");
  });
});

describe("AppDatabase", () => {
  it("parents role, database, extensions and grants and gives them the provider", async () => {
    const server = new mod.DatabaseServer("srv", { ...base, containerName: "srv", bindAddress: "127.0.0.1", allowNetworkBind: false });
    const app = new appMod.AppDatabase("db", { provider: server.provider, databaseName: "appdb", roleName: "app_role", rolePassword: pulumi.secret("app-role-password-1"), migrationRole: "postgres" }, observed);
    await resolve(pulumi.all([app.role.id, app.database.id, ...app.extensions.map((e) => e.id)]));
    const children = seen.filter((s) => s.name.startsWith("db-"));
    expect(children.length).toBeGreaterThanOrEqual(8);
    for (const c of children) {
      expect(c.opts.parent, c.name).toBe(app);
      expect(c.opts.provider, c.name).toBe(server.provider);
    }
    expect(inputsByName.get("db-role")).toMatchObject({ superuser: false, roles: ["pg_read_all_stats"] });
  });
});
