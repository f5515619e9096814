// Hot standbys streaming from the DatabaseServer (config `bollalabz-db:replicas`):
// a replication role with a random password, one physical replication slot per
// replica on the primary, and per replica a volume and a container from the
// primary's image whose entrypoint (src/container/standby-entrypoint.ts) clones
// the primary with `pg_basebackup -R -S <slot>` on an empty volume and then
// runs postgres as a hot standby with the primary's settings plus the standby ones.
import * as docker from "@pulumi/docker";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { passfileLine, standbyEntrypointScript } from "../src/container/standby-entrypoint.ts";
import { REPLICATION_HBA_SETTING, CONTAINER_PORT, DatabaseServer, clientHostFor, hbaUpload, postgresCommand, postgresHealthcheck, shmSizeMb } from "./database-server.ts";
import { SERVER_SETTINGS, STANDBY_SETTINGS } from "../src/settings/server-settings.ts";
import { WAL_SENDERS_PER_CLONE, dataPathFor } from "./stack-config.ts";
import { NETWORK_BIND_OPT_IN_LABEL } from "./labels.ts";

/** Where the entrypoint script is uploaded in a replica container. */
export const ENTRYPOINT_FILE = "/usr/local/bin/bollalabz-standby-entrypoint.sh";
/** The replication password file as uploaded: root only. */
export const SECRET_PASSFILE = "/run/secrets/bollalabz-replication.pgpass";
/**
 * The postgres user's copy: libpq's default (~/.pgpass of the image's postgres
 * user), outside PGDATA on every major: on 17 the volume is
 * /var/lib/postgresql/data; on 18 the volume is /var/lib/postgresql and PGDATA
 * its versioned subfolder, so the file sits in the volume beside PGDATA.
 */
export const POSTGRES_PASSFILE = "/var/lib/postgresql/.pgpass";
/** A clone copies the whole database before the first health check can pass. */
export const REPLICA_START_PERIOD = "600s";
export const REPLICA_WAIT_TIMEOUT_SECONDS = 900;
export const REPLICATION_PASSWORD_LENGTH = 32;

/** Slot name of replica i (1-based): lower-case, valid as a slot name. */
export function replicaSlotName(index: number): string {
  return `bollalabz_replica_${index}`;
}

export interface ReplicasArgs {
  readonly count: number;
  /** The primary; must have been created with `replication`. */
  readonly primary: DatabaseServer;
  readonly majorVersion: number;
  /** The primary's container name: replicas are `<name>-replica-<i>`, found on the network under the primary's name. */
  readonly primaryContainerName: string;
  /** Replica i publishes on hostPort + i. */
  readonly hostPort: number;
  readonly bindAddress: string;
  readonly allowNetworkBind: boolean;
  readonly replicationRole: string;
}

export class Replicas extends pulumi.ComponentResource {
  readonly password: random.RandomPassword;
  readonly role: postgresql.Role;
  readonly slots: postgresql.PhysicalReplicationSlot[] = [];
  readonly volumes: docker.Volume[] = [];
  readonly containers: docker.Container[] = [];
  /** Host and port a client on this machine uses for each replica (from the containers' outputs). */
  readonly hosts: pulumi.Output<string>[] = [];
  readonly ports: pulumi.Output<number>[] = [];

  constructor(name: string, args: ReplicasArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bollalabz-db:index:Replicas", name, {}, opts);
    const { primary } = args;
    if (!primary.replicationNetwork) throw new Error("Replicas need a DatabaseServer created with `replication` (its network and pg_hba.conf)");
    const child = { parent: this };
    const onPrimary = { parent: this, provider: primary.provider };

    // Letters and digits only: nothing to escape in a URL, a password file or a shell.
    this.password = new random.RandomPassword(`${name}-password`, { length: REPLICATION_PASSWORD_LENGTH, special: false }, child);
    const password = pulumi.secret(this.password.result);

    this.role = new postgresql.Role(
      `${name}-role`,
      {
        name: args.replicationRole,
        login: true,
        replication: true,
        password,
        superuser: false,
        createDatabase: false,
        createRole: false,
        inherit: false,
        // Each replica streams over one connection; a clone takes two.
        connectionLimit: args.count * WAL_SENDERS_PER_CLONE,
      },
      onPrimary,
    );

    const passfile = pulumi.secret(password.apply((pw) => passfileLine(args.primaryContainerName, CONTAINER_PORT, args.replicationRole, pw)));
    const image = primary.image.imageId;
    const dataPath = dataPathFor(args.majorVersion);
    const command = postgresCommand([...SERVER_SETTINGS, ...STANDBY_SETTINGS], [REPLICATION_HBA_SETTING]);

    let previous: docker.Container | undefined;
    for (let i = 1; i <= args.count; i++) {
      const slotName = replicaSlotName(i);
      const containerName = `${args.primaryContainerName}-replica-${i}`;
      const hostPort = args.hostPort + i;

      const slot = new postgresql.PhysicalReplicationSlot(`${name}-${i}-slot`, { name: slotName }, onPrimary);
      const volume = new docker.Volume(`${name}-${i}-data`, { name: `${containerName}-data` }, child);
      const entrypoint = standbyEntrypointScript({
        primaryHost: args.primaryContainerName,
        primaryPort: CONTAINER_PORT,
        replicationRole: args.replicationRole,
        slotName,
        secretPassfile: SECRET_PASSFILE,
        passfile: POSTGRES_PASSFILE,
      });

      const container = new docker.Container(
        `${name}-${i}-container`,
        {
          name: containerName,
          image,
          entrypoints: [ENTRYPOINT_FILE],
          command,
          uploads: [
            { file: ENTRYPOINT_FILE, content: entrypoint, permissions: "0755" },
            { file: SECRET_PASSFILE, content: passfile, permissions: "0600" },
            hbaUpload(args.replicationRole),
          ],
          networksAdvanced: [{ name: primary.replicationNetwork.name }],
          ports: [{ internal: CONTAINER_PORT, external: hostPort, ip: args.bindAddress }],
          volumes: [{ volumeName: volume.name, containerPath: dataPath }],
          labels: args.allowNetworkBind ? [{ label: NETWORK_BIND_OPT_IN_LABEL, value: "true" }] : [],
          healthcheck: postgresHealthcheck(REPLICA_START_PERIOD),
          wait: true,
          waitTimeout: REPLICA_WAIT_TIMEOUT_SECONDS,
          restart: "unless-stopped",
          shmSize: shmSizeMb(),
          destroyGraceSeconds: 60,
        },
        {
          ...child,
          deleteBeforeReplace: true,
          // The slot and the role exist before the clone starts; replicas clone
          // one after another, so at most one clone holds WAL senders at a time
          // (the bound MAX_REPLICAS in infra/stack-config.ts relies on it).
          dependsOn: [slot, this.role, primary.container, ...(previous ? [previous] : [])],
        },
      );
      previous = container;

      const published = container.ports.apply((ports) => ports?.[0]);
      this.slots.push(slot);
      this.volumes.push(volume);
      this.containers.push(container);
      this.hosts.push(published.apply((p) => clientHostFor(p?.ip ?? args.bindAddress)));
      this.ports.push(published.apply((p) => p?.external ?? hostPort));
    }

    this.registerOutputs({ role: this.role.name, slots: this.slots.map((s) => s.name), containers: this.containers.map((c) => c.name) });
  }
}
