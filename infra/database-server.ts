// The PostgreSQL server: image, data volume, container (configured from the
// shared settings module) and a postgresql provider that connects to it only
// once Docker reports the container healthy.
import * as docker from "@pulumi/docker";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { SERVER_SETTINGS, serverSettingsAsFlags, sharedMemoryBytes, type ServerSetting } from "../src/settings/server-settings.ts";
import { CONTAINER_HBA_FILE, containerPgHba } from "../src/container/pg-hba.ts";
import { dataPathFor } from "./stack-config.ts";
import { NETWORK_BIND_OPT_IN_LABEL } from "./labels.ts";

export { NETWORK_BIND_OPT_IN_LABEL };

/** PostgreSQL's port inside the container. */
export const CONTAINER_PORT = 5432;
/** The image's superuser (POSTGRES_USER default); the provider and migrations connect as it. */
export const SUPERUSER = "postgres";
/**
 * Where the superuser password is uploaded (root only). The image reads it
 * through POSTGRES_PASSWORD_FILE before dropping to the postgres user, so the
 * password is in neither the container's environment nor its command (both
 * show in `docker inspect`).
 */
export const SUPERUSER_PASSWORD_FILE = "/run/secrets/bollalabz-postgres-password";
/** Seconds `pulumi up` waits for the healthcheck: first start runs initdb. */
export const WAIT_TIMEOUT_SECONDS = 180;

/**
 * Settings that differ per target and so are not in the shared module: inside
 * the container PostgreSQL listens on all interfaces; Docker publishes the
 * port on bindAddress only.
 */
export const CONTAINER_ONLY_SETTINGS: readonly ServerSetting[] = [
  { name: "listen_addresses", value: "*", reason: "Inside the container; reachability from outside is decided by the published port's bind address." },
];

/**
 * Only in a replicated deployment: every node reads the generated pg_hba.conf
 * (src/container/pg-hba.ts) that lets the replication role in.
 */
export const REPLICATION_HBA_SETTING: ServerSetting = {
  name: "hba_file",
  value: CONTAINER_HBA_FILE,
  reason: "The uploaded rules apply to an existing data volume too (the image writes PGDATA/pg_hba.conf only on first start).",
};

/** The container's command: `postgres -c name=value ...` from the shared settings module. */
export function postgresCommand(settings: readonly ServerSetting[] = SERVER_SETTINGS, extra: readonly ServerSetting[] = []): string[] {
  return ["postgres", ...serverSettingsAsFlags([...settings, ...CONTAINER_ONLY_SETTINGS, ...extra])];
}

/** pg_isready over TCP (see the primary's container for why TCP). */
export function postgresHealthcheck(startPeriod: string) {
  return {
    tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", String(CONTAINER_PORT), "-U", SUPERUSER],
    interval: "2s",
    timeout: "5s",
    retries: 5,
    startPeriod,
  };
}

/** The uploaded pg_hba.conf (no secret in it: role names and methods only). */
export function hbaUpload(replicationRole: string) {
  return { file: CONTAINER_HBA_FILE, content: containerPgHba(replicationRole), permissions: "0644" };
}

/** /dev/shm size in MB (the docker provider's unit) for shared_buffers plus headroom. */
export function shmSizeMb(): number {
  return Math.ceil(sharedMemoryBytes() / 1024 ** 2);
}

/** Where a client on this machine connects for a given bind address. */
export function clientHostFor(bindAddress: string): string {
  if (bindAddress === "" || bindAddress === "0.0.0.0") return "127.0.0.1";
  if (bindAddress === "::" || bindAddress === "[::]") return "::1";
  return bindAddress;
}

export interface DatabaseServerArgs {
  /** Image reference with a version tag, e.g. postgres:18.4. */
  readonly image: string;
  readonly majorVersion: number;
  readonly containerName: string;
  readonly hostPort: number;
  readonly bindAddress: string;
  /** Set only when the stack config opts in to a non-loopback bind. */
  readonly allowNetworkBind: boolean;
  /** Password of the superuser `postgres`. */
  readonly superuserPassword: pulumi.Input<string>;
  /**
   * Set when replicas stream from this server: it joins a Docker network of
   * its own (the replicas reach it there by its container name) and reads the
   * generated pg_hba.conf that admits the replication role.
   */
  readonly replication?: { readonly role: string };
}

export class DatabaseServer extends pulumi.ComponentResource {
  readonly image: docker.RemoteImage;
  readonly volume: docker.Volume;
  readonly container: docker.Container;
  /** Connects as the superuser to the `postgres` database; created after the container is healthy. */
  readonly provider: postgresql.Provider;
  /** Host and port a client on this machine uses (from the container's outputs). */
  readonly host: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  /** Only with `replication`: the network the replicas join. */
  readonly replicationNetwork?: docker.Network;

  constructor(name: string, args: DatabaseServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bollalabz-db:index:DatabaseServer", name, {}, opts);
    const child = { parent: this };

    this.image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, child);

    // A named volume outlives container replacements (image upgrades, setting changes).
    this.volume = new docker.Volume(`${name}-data`, { name: `${args.containerName}-data` }, child);

    // A user-defined network: Docker's default bridge has no name resolution
    // between containers. Not internal: the published port needs the bridge.
    if (args.replication) {
      this.replicationNetwork = new docker.Network(`${name}-replication`, { name: `${args.containerName}-replication`, driver: "bridge" }, child);
    }

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: args.containerName,
        // imageId, not image.name: the container is replaced only when the pulled image changes.
        image: this.image.imageId,
        command: postgresCommand(SERVER_SETTINGS, args.replication ? [REPLICATION_HBA_SETTING] : []),
        envs: [`POSTGRES_PASSWORD_FILE=${SUPERUSER_PASSWORD_FILE}`],
        ports: [{ internal: CONTAINER_PORT, external: args.hostPort, ip: args.bindAddress }],
        volumes: [{ volumeName: this.volume.name, containerPath: dataPathFor(args.majorVersion) }],
        labels: args.allowNetworkBind ? [{ label: NETWORK_BIND_OPT_IN_LABEL, value: "true" }] : [],
        // During first start the image runs a temporary server on the unix
        // socket only: probing TCP reports healthy only once the real server
        // accepts the connections the provider and the app will make.
        healthcheck: postgresHealthcheck("120s"),
        uploads: [
          { file: SUPERUSER_PASSWORD_FILE, content: pulumi.secret(args.superuserPassword), permissions: "0600" },
          ...(args.replication ? [hbaUpload(args.replication.role)] : []),
        ],
        ...(args.replication && this.replicationNetwork ? { networksAdvanced: [{ name: this.replicationNetwork.name, aliases: [args.containerName] }] } : {}),
        wait: true,
        waitTimeout: WAIT_TIMEOUT_SECONDS,
        restart: "unless-stopped",
        shmSize: shmSizeMb(),
        // A clean shutdown (checkpoint) before the container is removed.
        destroyGraceSeconds: 60,
      },
      // Fixed name and host port: the old container must go before the new one starts.
      { ...child, deleteBeforeReplace: true },
    );

    const published = this.container.ports.apply((ports) => ports?.[0]);
    this.host = published.apply((p) => clientHostFor(p?.ip ?? args.bindAddress));
    this.port = published.apply((p) => p?.external ?? args.hostPort);

    this.provider = new postgresql.Provider(
      `${name}-postgresql`,
      {
        host: this.host,
        port: this.port,
        username: SUPERUSER,
        password: args.superuserPassword,
        database: "postgres",
        superuser: true,
        // A local container has no TLS certificate; the provider's default requires SSL.
        sslmode: "disable",
        connectTimeout: 30,
        expectedVersion: String(args.majorVersion),
      },
      { ...child, dependsOn: [this.container] },
    );

    this.registerOutputs({ host: this.host, port: this.port, containerName: this.container.name, imageId: this.image.imageId });
  }
}
