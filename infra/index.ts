// The Pulumi program (`pulumi up`, loaded through tsx: see Pulumi.yaml): a
// PostgreSQL container configured from src/settings, the app database, role
// and extensions on it, and the stack outputs `npm run deploy` and the other
// commands use.
import { loadInfraConfig } from "./stack-config.ts";
import { AppDatabase } from "./app-database.ts";
import { connectionUrl } from "./connection-url.ts";
import { DatabaseServer, SUPERUSER } from "./database-server.ts";
import { Replicas } from "./replicas.ts";
import * as pulumi from "@pulumi/pulumi";

const config = loadInfraConfig();

const server = new DatabaseServer("postgres", {
  image: config.image,
  majorVersion: config.majorVersion,
  containerName: config.containerName,
  hostPort: config.hostPort,
  bindAddress: config.bindAddress,
  allowNetworkBind: config.allowNetworkBind,
  superuserPassword: config.postgresPassword,
  // Only with replicas: otherwise the container stays exactly as before
  // (turning replicas on replaces it once: new command, hba file, network).
  ...(config.replicas > 0 ? { replication: { role: config.replicationRole } } : {}),
});

const replicas =
  config.replicas > 0
    ? new Replicas("replica", {
        count: config.replicas,
        primary: server,
        majorVersion: config.majorVersion,
        primaryContainerName: config.containerName,
        hostPort: config.hostPort,
        bindAddress: config.bindAddress,
        allowNetworkBind: config.allowNetworkBind,
        replicationRole: config.replicationRole,
      })
    : undefined;

const app = new AppDatabase("app", {
  provider: server.provider,
  databaseName: config.databaseName,
  roleName: config.appRole,
  rolePassword: config.appPassword,
  migrationRole: SUPERUSER,
});

export const host = server.host;
export const port = server.port;
export const databaseName = app.database.name;
export const appRole = app.role.name;
export const containerName = server.container.name;
/** For the application (role with pool-sized connection limit, no DDL). Secret. */
export const appUrl = connectionUrl({ user: app.role.name, password: config.appPassword, host, port, database: databaseName });
/**
 * For `npm run migrate` and `npm run verify` (the superuser, which owns the schema). Secret.
 * The analytics leaderboard (materialized view top_contacts_30d, migration
 * 000075) needs a refresher beside this stack: `npm run serve` against it
 * refreshes every 60 s, or cron `DATABASE_URL=$(pulumi stack output --show-secrets
 * migrationUrl) npm run -s refresh` every minute; verify fails a view older
 * than 5 minutes. The same run fills the search side tables (message_search,
 * contact_search, migrations 000083-000091): searches stay exact without it,
 * but scan every row inserted since the last fill; verify fails a fill more
 * than 5 minutes behind.
 */
export const migrationUrl = connectionUrl({ user: SUPERUSER, password: config.postgresPassword, host, port, database: databaseName });

// Replicas (empty lists without `bollalabz-db:replicas`). The app and the
// migration roles exist on every replica: a physical replica is a copy of the primary.
export const replicaContainerNames = pulumi.output(replicas?.containers.map((c) => c.name) ?? []);
export const replicaPorts = pulumi.output(replicas?.ports ?? []);
export const replicationSlots = pulumi.output(replicas?.slots.map((s) => s.name) ?? []);
/** For the app's read pool (DATABASE_REPLICA_URLS, comma-separated). Secret. */
export const replicaUrls = pulumi.secret(
  pulumi.all((replicas?.hosts ?? []).map((h, i) => connectionUrl({ user: app.role.name, password: config.appPassword, host: h, port: replicas!.ports[i]!, database: databaseName }))),
);
/** For `npm run verify -- --replica <url>` and maintenance (the superuser). Secret. */
export const replicaAdminUrls = pulumi.secret(
  pulumi.all((replicas?.hosts ?? []).map((h, i) => connectionUrl({ user: SUPERUSER, password: config.postgresPassword, host: h, port: replicas!.ports[i]!, database: databaseName }))),
);
