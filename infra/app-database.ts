// The application's database on the server: its role, the database it owns,
// the extensions the queries and checks need, and the privileges the app needs
// on the tables the migrations (run as the superuser) create.
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { APP_ROLE_CONNECTION_LIMIT } from "../src/settings/pool-sizing.ts";
import { VERIFY_READER_ROLE } from "../src/db/verify-reader-role.ts";

/** Extensions created in the app database (migration 000001 re-states them IF NOT EXISTS). */
export const EXTENSIONS = ["pg_stat_statements", "pg_trgm"] as const;

/** What the app does with rows: read and write data, never change the schema. */
export const APP_TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"];
export const APP_SEQUENCE_PRIVILEGES = ["USAGE", "SELECT"];
/**
 * Built-in role that lets the health API read every session in
 * pg_stat_activity and the query text of all pg_stat_statements entries.
 */
export const APP_MONITORING_ROLE = "pg_read_all_stats";

export interface AppDatabaseArgs {
  readonly provider: postgresql.Provider;
  readonly databaseName: string;
  readonly roleName: string;
  readonly rolePassword: pulumi.Input<string>;
  /** The role that runs migrations and so owns the tables (the container's superuser). */
  readonly migrationRole: string;
}

export class AppDatabase extends pulumi.ComponentResource {
  readonly role: postgresql.Role;
  /** verify's reader role (src/db/verify-reader-role.ts): the catalog's SQL runs as it. */
  readonly verifyReader: postgresql.Role;
  readonly database: postgresql.Database;
  readonly extensions: postgresql.Extension[];

  constructor(name: string, args: AppDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bollalabz-db:index:AppDatabase", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    this.role = new postgresql.Role(
      `${name}-role`,
      {
        name: args.roleName,
        login: true,
        password: args.rolePassword,
        superuser: false,
        createDatabase: false,
        createRole: false,
        replication: false,
        bypassRowLevelSecurity: false,
        // Every app instance's pool full, never more: a leaking pool fails
        // here instead of taking the admin headroom of max_connections.
        connectionLimit: APP_ROLE_CONNECTION_LIMIT,
        inherit: true,
        roles: [APP_MONITORING_ROLE],
      },
      child,
    );

    // Owned by the app role: since PostgreSQL 15 schema public belongs to the
    // database owner, so the app has USAGE on it without a grant.
    this.database = new postgresql.Database(`${name}-database`, { name: args.databaseName, owner: this.role.name, encoding: "UTF8", template: "template0" }, child);

    this.extensions = EXTENSIONS.map((ext) => new postgresql.Extension(`${name}-${ext.replaceAll("_", "-")}`, { name: ext, database: this.database.name, schema: "public" }, child));

    // Tables and sequences the migrations create later (owned by the migration role).
    const common = { database: this.database.name, role: this.role.name, schema: "public" };
    new postgresql.DefaultPrivileges(`${name}-future-tables`, { ...common, owner: args.migrationRole, objectType: "table", privileges: APP_TABLE_PRIVILEGES }, child);
    new postgresql.DefaultPrivileges(`${name}-future-sequences`, { ...common, owner: args.migrationRole, objectType: "sequence", privileges: APP_SEQUENCE_PRIVILEGES }, child);
    // Tables that already exist (a stack re-created against a migrated volume).
    new postgresql.Grant(`${name}-existing-tables`, { ...common, objectType: "table", privileges: APP_TABLE_PRIVILEGES }, child);
    new postgresql.Grant(`${name}-existing-sequences`, { ...common, objectType: "sequence", privileges: APP_SEQUENCE_PRIVILEGES }, child);

    // verify runs a catalog's SQL as this role (SET ROLE inside its read-only
    // transaction): no login, no superuser, no replication, no
    // pg_signal_backend or pg_read_server_files; SELECT on the app's tables
    // and pg_read_all_stats only. The app role may enter it, so verify works
    // with either stack URL (the superuser needs no membership).
    this.verifyReader = new postgresql.Role(
      `${name}-verify-reader`,
      { name: VERIFY_READER_ROLE, login: false, superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false, inherit: true, roles: [APP_MONITORING_ROLE] },
      child,
    );
    const reader = { database: this.database.name, role: this.verifyReader.name, schema: "public", objectType: "table", privileges: ["SELECT"] };
    new postgresql.DefaultPrivileges(`${name}-verify-reader-future-tables`, { ...reader, owner: args.migrationRole }, child);
    new postgresql.Grant(`${name}-verify-reader-existing-tables`, reader, child);
    new postgresql.GrantRole(`${name}-verify-reader-member`, { role: this.role.name, grantRole: this.verifyReader.name }, child);

    this.registerOutputs({ databaseName: this.database.name, roleName: this.role.name });
  }
}
