// The Pulumi program (`pulumi up`, loaded through tsx: see Pulumi.yaml): a
// PostgreSQL container configured from src/settings, the app database, role
// and extensions on it, and the stack outputs `npm run deploy` and the other
// commands use.
import { loadInfraConfig } from "./config.ts";
import { AppDatabase } from "./app-database.ts";
import { connectionUrl } from "./connection-url.ts";
import { DatabaseServer, SUPERUSER } from "./database-server.ts";

const config = loadInfraConfig();

const server = new DatabaseServer("postgres", {
  image: config.image,
  majorVersion: config.majorVersion,
  containerName: config.containerName,
  hostPort: config.hostPort,
  bindAddress: config.bindAddress,
  allowNetworkBind: config.allowNetworkBind,
  superuserPassword: config.postgresPassword,
});

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
/** For `npm run migrate` and `npm run verify` (the superuser, which owns the schema). Secret. */
export const migrationUrl = connectionUrl({ user: SUPERUSER, password: config.postgresPassword, host, port, database: databaseName });
