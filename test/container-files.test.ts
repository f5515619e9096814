// The generated files of a replicated container deployment, as text:
// the replica entrypoint (src/container/standby-entrypoint.ts) and the
// pg_hba.conf every node reads (src/container/pg-hba.ts).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CONTAINER_HBA_FILE, containerHbaRules, containerPgHba } from "../src/container/pg-hba.ts";
import { passfileLine, shellQuote, standbyEntrypointScript } from "../src/container/standby-entrypoint.ts";

const options = {
  primaryHost: "bollalabz-db-postgres",
  primaryPort: 5432,
  replicationRole: "bollalabz_replicator",
  slotName: "bollalabz_replica_2",
  secretPassfile: "/run/secrets/bollalabz-replication.pgpass",
  passfile: "/var/lib/postgresql/.pgpass",
};

describe("the replica entrypoint script", () => {
  const script = standbyEntrypointScript(options);
  const cloneLine = script.split("\n").find((l) => l.includes("pg_basebackup"))!;

  it("is valid POSIX sh (sh -n) and stops on the first error", () => {
    const check = spawnSync("/bin/sh", ["-n"], { input: script, encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
    expect(script).toMatch(/^set -eu$/m);
  });

  it("clones only an empty volume, with -R (standby.signal + primary_conninfo) and -S <this replica's slot>, streaming WAL", () => {
    expect(script).toMatch(/if \[ ! -s "\$PGDATA\/PG_VERSION" \]; then/);
    expect(cloneLine).toContain(`--pgdata="$PGDATA"`);
    expect(cloneLine).toContain("-h 'bollalabz-db-postgres' -p 5432 -U 'bollalabz_replicator'");
    expect(cloneLine).toMatch(/ -R /);
    expect(cloneLine).toContain("-S 'bollalabz_replica_2'");
    expect(cloneLine).toContain("-X stream");
    expect(cloneLine).toContain("-c fast");
    // Runs as the postgres user, never prompts.
    expect(cloneLine.trimStart().startsWith("'gosu' 'postgres' pg_basebackup")).toBe(true);
    expect(cloneLine).toContain("--no-password");
  });

  it("takes the password from a password file it makes private to postgres, never from the command line or env", () => {
    expect(script).toContain("install -m 0600 -o postgres -g postgres '/run/secrets/bollalabz-replication.pgpass' '/var/lib/postgresql/.pgpass'");
    expect(script).toContain("export PGPASSFILE='/var/lib/postgresql/.pgpass'");
    expect(script).not.toMatch(/PGPASSWORD|password=|-W\b/);
    // The password file is installed on every start (the WAL receiver rereads it), before the clone.
    expect(script.indexOf("install -m 0600")).toBeLessThan(script.indexOf("if [ ! -s"));
  });

  it("hands over to the image's entrypoint with the container's command", () => {
    expect(script.trimEnd().split("\n").at(-1)).toBe(`exec 'docker-entrypoint.sh' "$@"`);
    const custom = standbyEntrypointScript({ ...options, asPostgres: ["runuser", "-u", "postgres", "--"], handOver: ["/usr/lib/postgresql/15/bin/postgres"] });
    expect(custom).toContain("'runuser' '-u' 'postgres' '--' pg_basebackup");
    expect(custom.trimEnd().split("\n").at(-1)).toBe(`exec '/usr/lib/postgresql/15/bin/postgres' "$@"`);
  });

  it("quotes every value for the shell", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const odd = standbyEntrypointScript({ ...options, slotName: "a'b; rm -rf /" });
    expect(odd).toContain(`-S 'a'\\''b; rm -rf /'`);
    expect(spawnSync("/bin/sh", ["-n"], { input: odd }).status).toBe(0);
  });
});

describe("the replication password file line", () => {
  it("is host:port:replication:user:password with ':' and '\\' escaped", () => {
    expect(passfileLine("primary", 5432, "repl", "abcDEF123")).toBe("primary:5432:replication:repl:abcDEF123\n");
    expect(passfileLine("primary", 5432, "repl", "a:b\\c")).toBe("primary:5432:replication:repl:a\\:b\\\\c\n");
  });
});

describe("the container pg_hba.conf", () => {
  const text = containerPgHba("bollalabz_replicator");
  const rules = text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split("\t"));

  it("keeps the image's rules and adds exactly one: replication for the role, with its password, from the attached networks", () => {
    expect(rules).toEqual([
      ["local", "all", "all", "trust"],
      ["host", "all", "all", "127.0.0.1/32", "trust"],
      ["host", "all", "all", "::1/128", "trust"],
      ["local", "replication", "all", "trust"],
      ["host", "replication", "all", "127.0.0.1/32", "trust"],
      ["host", "replication", "all", "::1/128", "trust"],
      ["host", "replication", "bollalabz_replicator", "samenet", "scram-sha-256"],
      ["host", "all", "all", "all", "scram-sha-256"],
    ]);
    // `all` in the database column does not cover replication connections: only the added line admits a replica.
    const remoteReplication = rules.filter((r) => r[0] === "host" && r[1] === "replication" && !["127.0.0.1/32", "::1/128"].includes(r[3]!));
    expect(remoteReplication).toEqual([["host", "replication", "bollalabz_replicator", "samenet", "scram-sha-256"]]);
    expect(containerHbaRules("r").every((r) => r.why.length > 5)).toBe(true);
    expect(CONTAINER_HBA_FILE.startsWith("/")).toBe(true);
  });
});
