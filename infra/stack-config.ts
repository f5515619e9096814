// The stack's configuration (namespace `bollalabz-db:`), read and validated in
// one place. Every problem is collected and reported at once, each naming the
// key and the command that fixes it, before any resource is declared.
import { isIP } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import { serverSetting } from "../src/settings/server-settings.ts";

export const CONFIG_NAMESPACE = "bollalabz-db";

/** The image the container runs by default: the same minor version as the embedded server. */
export const DEFAULT_IMAGE = "postgres:18.4";
/** Host port for the container (not 5432, which a system PostgreSQL may hold). */
export const DEFAULT_HOST_PORT = 55432;
export const DEFAULT_BIND_ADDRESS = "127.0.0.1";
export const DEFAULT_CONTAINER_NAME = "bollalabz-db-postgres";
export const DEFAULT_DATABASE_NAME = "bollalabz";
export const DEFAULT_APP_ROLE = "bollalabz_app";
/** The project needs PostgreSQL 15+ (same bar as src/checks/preflight.ts). */
export const MIN_MAJOR_VERSION = 15;
export const MIN_PASSWORD_LENGTH = 12;
export const DEFAULT_REPLICAS = 0;
export const DEFAULT_REPLICATION_ROLE = "bollalabz_replicator";
/** WAL senders one new replica's clone holds: pg_basebackup's connection plus its WAL stream (-X stream). */
export const WAL_SENDERS_PER_CLONE = 2;
/**
 * Replicas the primary's settings can serve: each streams through one WAL
 * sender and one slot, and one more replica must still be able to clone.
 */
export const MAX_REPLICAS = Math.min(Number(serverSetting("max_wal_senders")) - WAL_SENDERS_PER_CLONE, Number(serverSetting("max_replication_slots")) - 1);

/** Every key the program reads; anything else in the namespace is a typo. */
export const CONFIG_KEYS = [
  "postgresPassword",
  "appPassword",
  "image",
  "hostPort",
  "bindAddress",
  "allowNetworkBind",
  "containerName",
  "databaseName",
  "appRole",
  "replicas",
  "replicationRole",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
export const SECRET_KEYS: readonly ConfigKey[] = ["postgresPassword", "appPassword"];

/** Raw config values as strings (what `pulumi config get` would print). */
export type RawConfig = Partial<Record<string, string>>;

/** The validated, non-secret part of the config. */
export interface PlainInfraConfig {
  readonly image: string;
  /** Major PostgreSQL version parsed from the image tag. */
  readonly majorVersion: number;
  readonly hostPort: number;
  readonly bindAddress: string;
  readonly allowNetworkBind: boolean;
  readonly containerName: string;
  readonly databaseName: string;
  readonly appRole: string;
  /** Hot standbys streaming from the container (0: a single server, as before). */
  readonly replicas: number;
  /** Role the replicas clone and stream as (REPLICATION, a random password Pulumi generates). */
  readonly replicationRole: string;
}

export interface InfraConfig extends PlainInfraConfig {
  /** Password of the container's superuser `postgres` (also the migration role). */
  readonly postgresPassword: pulumi.Output<string>;
  readonly appPassword: pulumi.Output<string>;
}

/** Invalid config: one error listing every problem. A RunError, so Pulumi prints it without a stack trace. */
export class InfraConfigError extends pulumi.RunError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `Invalid Pulumi config for stack (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        `\nSee docs/pulumi.md.`,
    );
    this.name = "InfraConfigError";
    this.problems = problems;
  }
}

const key = (k: string) => `'${CONFIG_NAMESPACE}:${k}'`;
const setCmd = (k: string, example: string, secret = false) => `pulumi config set ${secret ? "--secret " : ""}${CONFIG_NAMESPACE}:${k} ${example}`;

/** Docker's container name rule. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Lower-case unquoted SQL identifier, at most 63 bytes (no quoting needed anywhere). */
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Major version from an image reference: `postgres:17.10`, `registry/x/postgres:18-trixie@sha256:...`. */
export function imageMajorVersion(image: string): number | undefined {
  const withoutDigest = image.split("@")[0] ?? "";
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon < 0) return undefined;
  const m = /^(\d+)(?:\.\d+)*(?:-[\w.-]+)?$/.exec(lastSegment.slice(colon + 1));
  return m ? Number(m[1]) : undefined;
}

/** The data directory the official image declares as its volume for a major version. */
export function dataPathFor(majorVersion: number): string {
  // postgres:18 moved the volume to /var/lib/postgresql (PGDATA is a versioned
  // subdirectory); 17 and earlier use /var/lib/postgresql/data.
  return majorVersion >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

export function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith("127.");
  if (isIP(address) === 6) return address === "::1" || address === "0:0:0:0:0:0:0:1";
  return false;
}

/**
 * Validate raw config (keys without the namespace). Secrets are checked for
 * presence and length only and never appear in a message.
 */
export function validateInfraConfig(raw: RawConfig, unknownKeys: readonly string[] = []): PlainInfraConfig {
  const problems: string[] = [];
  const value = (k: ConfigKey) => {
    const v = raw[k];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };

  for (const unknown of unknownKeys) {
    const close = CONFIG_KEYS.find((k) => k.toLowerCase() === unknown.toLowerCase());
    problems.push(`${key(unknown)} is not a setting of this program${close ? ` (did you mean ${key(close)}?)` : ""}; known keys: ${CONFIG_KEYS.join(", ")}. Remove it: pulumi config rm ${CONFIG_NAMESPACE}:${unknown}`);
  }

  for (const secretKey of SECRET_KEYS) {
    const v = raw[secretKey];
    if (v === undefined || v === "") {
      problems.push(`${key(secretKey)} is required (a secret). Set it: ${setCmd(secretKey, "<password>", true)}`);
    } else if (v.length < MIN_PASSWORD_LENGTH) {
      problems.push(`${key(secretKey)} is ${v.length} characters; use at least ${MIN_PASSWORD_LENGTH}. Set it: ${setCmd(secretKey, "<password>", true)}`);
    }
  }
  if (raw.postgresPassword && raw.postgresPassword === raw.appPassword) {
    problems.push(`${key("appPassword")} must differ from ${key("postgresPassword")}: the app role must not share the superuser's password`);
  }

  const image = value("image") ?? DEFAULT_IMAGE;
  const majorVersion = imageMajorVersion(image);
  if (majorVersion === undefined) {
    problems.push(`${key("image")} is '${image}': it needs a tag that starts with the PostgreSQL version (e.g. ${DEFAULT_IMAGE}); 'latest' or no tag would change the server under you. Set it: ${setCmd("image", DEFAULT_IMAGE)}`);
  } else if (majorVersion < MIN_MAJOR_VERSION) {
    problems.push(`${key("image")} is '${image}' (PostgreSQL ${majorVersion}); bollalabz-db needs ${MIN_MAJOR_VERSION} or newer. Set it: ${setCmd("image", DEFAULT_IMAGE)}`);
  }

  let hostPort = DEFAULT_HOST_PORT;
  const rawPort = value("hostPort");
  if (rawPort !== undefined) {
    hostPort = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || hostPort < 1 || hostPort > 65535) {
      problems.push(`${key("hostPort")} is '${rawPort}'; expected a port number from 1 to 65535. Set it: ${setCmd("hostPort", String(DEFAULT_HOST_PORT))}`);
    }
  }

  let allowNetworkBind = false;
  const rawAllow = value("allowNetworkBind");
  if (rawAllow !== undefined) {
    if (rawAllow === "true" || rawAllow === "false") allowNetworkBind = rawAllow === "true";
    else problems.push(`${key("allowNetworkBind")} is '${rawAllow}'; expected true or false`);
  }

  const bindAddress = value("bindAddress") ?? DEFAULT_BIND_ADDRESS;
  if (isIP(bindAddress) === 0) {
    problems.push(`${key("bindAddress")} is '${bindAddress}'; expected an IP address such as 127.0.0.1 (host names are not accepted: localhost may resolve to ::1 or 127.0.0.1). Set it: ${setCmd("bindAddress", DEFAULT_BIND_ADDRESS)}`);
  } else if (!isLoopback(bindAddress) && !allowNetworkBind) {
    problems.push(
      `${key("bindAddress")} is '${bindAddress}', which publishes PostgreSQL beyond this machine. Keep the default (${setCmd("bindAddress", DEFAULT_BIND_ADDRESS)}) or opt in explicitly: ${setCmd("allowNetworkBind", "true")}`,
    );
  }

  const containerName = value("containerName") ?? DEFAULT_CONTAINER_NAME;
  if (!CONTAINER_NAME.test(containerName)) {
    problems.push(`${key("containerName")} is '${containerName}'; Docker names use letters, digits, '_', '.', '-' and start with a letter or digit`);
  }

  const databaseName = value("databaseName") ?? DEFAULT_DATABASE_NAME;
  if (!SQL_IDENTIFIER.test(databaseName)) {
    problems.push(`${key("databaseName")} is '${databaseName}'; expected a lower-case identifier (a-z, 0-9, _; at most 63 characters)`);
  } else if (["postgres", "template0", "template1"].includes(databaseName)) {
    problems.push(`${key("databaseName")} is '${databaseName}', a database the server itself uses; pick a name of its own, e.g. ${DEFAULT_DATABASE_NAME}`);
  }

  const appRole = value("appRole") ?? DEFAULT_APP_ROLE;
  if (!SQL_IDENTIFIER.test(appRole)) {
    problems.push(`${key("appRole")} is '${appRole}'; expected a lower-case identifier (a-z, 0-9, _; at most 63 characters)`);
  } else if (appRole === "postgres" || appRole.startsWith("pg_")) {
    problems.push(`${key("appRole")} is '${appRole}'; 'postgres' is the superuser (used for migrations) and 'pg_' names are reserved. Pick another, e.g. ${DEFAULT_APP_ROLE}`);
  }

  let replicas = DEFAULT_REPLICAS;
  const rawReplicas = value("replicas");
  if (rawReplicas !== undefined) {
    replicas = Number(rawReplicas);
    if (!/^\d+$/.test(rawReplicas) || replicas > MAX_REPLICAS) {
      problems.push(
        `${key("replicas")} is '${rawReplicas}'; expected a whole number from 0 to ${MAX_REPLICAS} (max_wal_senders and max_replication_slots in src/settings/server-settings.ts leave room for that many plus one clone). Set it: ${setCmd("replicas", "2")}`,
      );
    } else if (hostPort >= 1 && hostPort <= 65535) {
      // Replica i publishes on hostPort + i.
      if (hostPort + replicas > 65535) problems.push(`${key("replicas")} is ${replicas}: replica ports hostPort + 1 .. hostPort + ${replicas} would pass 65535 (hostPort is ${hostPort}); lower ${key("hostPort")}`);
    }
  }

  const replicationRole = value("replicationRole") ?? DEFAULT_REPLICATION_ROLE;
  if (!SQL_IDENTIFIER.test(replicationRole)) {
    problems.push(`${key("replicationRole")} is '${replicationRole}'; expected a lower-case identifier (a-z, 0-9, _; at most 63 characters)`);
  } else if (replicationRole === "postgres" || replicationRole.startsWith("pg_") || replicationRole === appRole) {
    problems.push(`${key("replicationRole")} is '${replicationRole}'; it must be a role of its own (not 'postgres', a 'pg_' name or the app role). Pick another, e.g. ${DEFAULT_REPLICATION_ROLE}`);
  }

  if (problems.length > 0) throw new InfraConfigError(problems);
  return { image, majorVersion: majorVersion!, hostPort, bindAddress, allowNetworkBind, containerName, databaseName, appRole, replicas, replicationRole };
}

/** Read this stack's config; throws InfraConfigError listing every problem. */
export function loadInfraConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): InfraConfig {
  const raw: RawConfig = {};
  // config.get does not warn for secrets (SDK 3.276); the secret values are
  // only measured here and leave this function as secret Outputs.
  for (const k of CONFIG_KEYS) raw[k] = config.get(k);
  const prefix = `${CONFIG_NAMESPACE}:`;
  const known = new Set<string>(CONFIG_KEYS);
  const unknownKeys = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length))
    .filter((k) => !known.has(k));
  const plain = validateInfraConfig(raw, unknownKeys);
  return {
    ...plain,
    postgresPassword: config.requireSecret("postgresPassword"),
    appPassword: config.requireSecret("appPassword"),
  };
}
