// Issue #23's hostile catalog entries (a persistent replication slot, a
// terminated session, wiped statistics, a server file read) and relatives,
// each refused by EACH of verify's two layers on its own: the static check
// (PostgreSQL's parser + the allow-list of read-only built-ins) before
// anything runs, and the reader role at run time with the static check
// bypassed. Nothing on the server changes: no slot, the session alive, the
// counters kept, no file written, no lock left.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, UserError } from "../src/base/errors.ts";
import { openSql, type Sql } from "../src/db/index.ts";
import { CATALOG } from "../src/catalog/entries.ts";
import { validateCatalog } from "../src/catalog/load.ts";
import type { CatalogEntry } from "../src/catalog/types.ts";
import { readOnly } from "../src/catalog/guarded.ts";
import { disallowedCalls, readOnlyQueryProblems } from "../src/catalog/read-only-sql.ts";
import { VERIFY_READER_ROLE } from "../src/db/verify-reader-role.ts";
import { runCatalog } from "../src/verify/run-catalog.ts";
import type { TestDatabase } from "./support/databases.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { testSessions } from "./support/sessions.ts";
import { baseSeededDatabase } from "./verify-support.ts";
import { suiteServerDir } from "./support/server-dirs.ts";
import { testEntry } from "./support/catalog-entries.ts";

const dir = suiteServerDir("verify-hostile");
const EXPORTED = path.join(dir, "lo-export-must-not-exist");
const SLOT = `hostile_slot_${process.pid}`;

interface Hostile {
  readonly name: string;
  readonly sql: (victimPid: number) => string;
  /** The static layer's line for it. */
  readonly staticRefusal: RegExp;
  /** The server's refusal when it runs as the reader role (static check bypassed). */
  readonly runtimeRefusal: RegExp;
}

const HOSTILE: readonly Hostile[] = [
  { name: "replication_slot", sql: () => `SELECT pg_create_physical_replication_slot('${SLOT}', true)`, staticRefusal: /calls pg_create_physical_replication_slot\(\): creates, moves or consumes a replication slot/, runtimeRefusal: /permission denied to use replication slots/ },
  { name: "terminate_backend", sql: (pid) => `SELECT pg_terminate_backend(${pid})`, staticRefusal: /calls pg_terminate_backend\(\): signals another session/, runtimeRefusal: /permission denied to terminate process/ },
  { name: "reset_statistics", sql: () => "SELECT pg_stat_statements_reset(), pg_stat_reset()", staticRefusal: /calls pg_stat_statements_reset\(\): wipes the statistics counters/, runtimeRefusal: /permission denied for function pg_stat_statements_reset/ },
  { name: "read_server_file", sql: () => "SELECT pg_read_file('/etc/passwd')", staticRefusal: /calls pg_read_file\(\): reads or lists files of the server/, runtimeRefusal: /permission denied for function pg_read_file/ },
  { name: "lo_export_file", sql: () => `SELECT lo_export(lo_from_bytea(0, 'x'), '${EXPORTED}')`, staticRefusal: /calls lo_export\(\): reads or writes large objects/, runtimeRefusal: /permission denied for function lo_export|cannot execute lo_from_bytea\(\) in a read-only transaction/ },
  { name: "signal_qualified", sql: (pid) => `SELECT pg_catalog.pg_cancel_backend(${pid}) FROM people LIMIT 1`, staticRefusal: /calls pg_catalog\.pg_cancel_backend\(\): signals another session/, runtimeRefusal: /permission denied to cancel query/ },
  { name: "copy_to_program_via_xml", sql: () => "SELECT query_to_xml('COPY (SELECT 1) TO PROGRAM ''true''', true, false, '')", staticRefusal: /calls query_to_xml\(\): runs SQL text of its own/, runtimeRefusal: /permission denied to COPY to or from an external program|COPY .* not allowed|cannot execute COPY|read-only/ },
  { name: "delete_in_cte", sql: () => "WITH d AS (DELETE FROM people WHERE id > 0 RETURNING 1) SELECT count(*) FROM d", staticRefusal: /contains DELETE \(a data-modifying WITH\)/, runtimeRefusal: /cannot execute (DELETE|SELECT) in a read-only transaction|permission denied for table people/ },
  { name: "nextval", sql: () => "SELECT nextval('people_id_seq')", staticRefusal: /calls nextval\(\): advances or reads a sequence/, runtimeRefusal: /permission denied for sequence people_id_seq|read-only transaction/ },
];

const entry = (name: string, sql: string): CatalogEntry => testEntry(name, sql, { default: "SELECT" }, { seqScanOk: true, budgetMs: 1000, reason: "hostile" });

describe("verify's guard against hostile catalogs", () => {
  let db: TestDatabase;
  let sql: Sql;
  const sessions = testSessions();
  let victim: Sql;
  let victimPid: number;
  let before: ServerState;

  interface ServerState {
    readonly slots: number;
    readonly databaseStatsReset: string | null;
    readonly statementsReset: string | null;
    readonly statements: number;
    readonly people: number;
  }

  async function serverState(): Promise<ServerState> {
    const [row] = (await sql.unsafe(`
      SELECT (SELECT count(*)::int FROM pg_replication_slots WHERE slot_name = $1) AS slots,
             (SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()) AS "databaseStatsReset",
             (SELECT stats_reset::text FROM pg_stat_statements_info) AS "statementsReset",
             (SELECT count(*)::int FROM pg_stat_statements) AS statements,
             (SELECT count(*)::int FROM people) AS people`, [SLOT])) as unknown as [ServerState];
    return row;
  }

  async function assertNothingChanged(): Promise<void> {
    const now = await serverState();
    expect(now.slots).toBe(0);
    expect(now.databaseStatsReset).toBe(before.databaseStatsReset);
    expect(now.statementsReset).toBe(before.statementsReset);
    expect(now.statements).toBeGreaterThan(0);
    expect(now.people).toBe(before.people);
    // The victim is alive and answers.
    expect(((await victim`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }])[0].pid).toBe(victimPid);
    expect(existsSync(EXPORTED)).toBe(false);
    // verify's session (one connection) holds none; other test files' sessions (a migration's lock) are theirs.
    const [{ locks }] = (await sql`SELECT count(*)::int AS locks FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`) as unknown as [{ locks: number }];
    expect(locks).toBe(0);
  }

  beforeAll(async () => {
    db = await baseSeededDatabase("verifyhostile", 0.05);
    sql = openSql(db, { max: 1 });
    victim = sessions.open(db.url, "hostile-victim");
    victimPid = await sessions.pidOf(victim);
    await sql`SELECT count(*) FROM people`;
    before = await serverState();
    expect(before.statements).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await sql?.unsafe(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [SLOT]).catch(() => {});
    await sessions.closeAll();
    await sql?.end({ timeout: 5 });
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("static layer: PostgreSQL's parser and the allow-list", () => {
    it.each(HOSTILE)("refuses $name before anything runs", (h) => {
      expect(readOnlyQueryProblems(h.sql(victimPid)).join("\n")).toMatch(h.staticRefusal);
    });

    it("refuses the relatives that read-only mode or the role would not", () => {
      const problems = (text: string) => readOnlyQueryProblems(text).join("\n");
      expect(problems("SELECT pg_advisory_lock(42)")).toMatch(/calls pg_advisory_lock\(\): takes or releases an advisory lock/);
      expect(problems("SELECT set_config('role', 'postgres', false)")).toMatch(/calls set_config\(\): changes a session setting/);
      expect(problems("SELECT pg_current_xact_id()")).toMatch(/assigns or reads a transaction id/);
      expect(problems("SELECT txid_current()")).toMatch(/assigns or reads a transaction id/);
      expect(problems("SELECT * FROM dblink('dbname=x', 'DELETE FROM people') AS t(x int)")).toMatch(/calls dblink\(\): opens a connection/);
      expect(problems("SELECT public.my_function(1)")).toMatch(/only built-in functions are allowed/);
      expect(problems("SELECT * FROM people FOR UPDATE")).toMatch(/locks rows/);
      expect(problems("SELECT * INTO stolen FROM people")).toMatch(/SELECT \.\.\. INTO/);
      expect(problems("SELECT 1 OPERATOR(public.+) 1")).toMatch(/only built-in operators/);
      // Quoting and comments hide nothing from the real parser.
      expect(problems(`SELECT "pg_terminate_backend"(1) /* count(*) */`)).toMatch(/calls pg_terminate_backend\(\)/);
      expect(problems("SELECT $x$ harmless $x$, (SELECT pg_sleep(1))")).toMatch(/calls pg_sleep\(\)/);
      expect(problems("SELEC 1")).toMatch(/is not valid PostgreSQL: syntax error/);
    });

    it("control: the built-in catalog and a query using allowed built-ins pass, so the check can pass and fail", () => {
      expect(() => validateCatalog(CATALOG, "built-in")).not.toThrow();
      expect(readOnlyQueryProblems("SELECT count(*), lower(name), date_trunc('day', now()), jsonb_build_object('a', 1) FROM people WHERE name % $1")).toEqual([]);
      expect(readOnlyQueryProblems("SELECT pg_terminate_backend(1)")).not.toEqual([]);
    });

    it("advise's workload filter: writes pass, side-effect calls do not (normalized text too)", () => {
      expect(disallowedCalls("UPDATE people SET name = $1 WHERE id = $2")).toEqual([]);
      expect(disallowedCalls("SELECT count(*) FROM conversation_messages WHERE created_at > now() - interval $1")).toEqual([]);
      expect(disallowedCalls("SELECT CASE WHEN $1 = $2 THEN $3 ELSE pg_terminate_backend($4) END").join()).toMatch(/calls pg_terminate_backend\(\)/);
      expect(disallowedCalls("UPDATE people SET notes = pg_read_file($1) WHERE id = $2").join()).toMatch(/calls pg_read_file\(\)/);
    });

    it("reports every offending call at once, one line each with its entry name", () => {
      let error: unknown;
      try {
        validateCatalog([entry("two_offences", "SELECT pg_stat_reset(), pg_read_file('/etc/passwd')"), entry("one_offence", "SELECT pg_advisory_lock(1)")], "hostile.json");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UserError);
      const lines = (error as UserError).message.split("\n").filter((l) => l.startsWith("  - "));
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/entry 1 'two_offences': field 'sql' calls pg_stat_reset\(\)/);
      expect(lines[1]).toMatch(/entry 1 'two_offences': field 'sql' calls pg_read_file\(\)/);
      expect(lines[2]).toMatch(/entry 2 'one_offence': field 'sql' calls pg_advisory_lock\(\)/);
    });

    it("npm run verify -- --catalog with the issue's entries: exit 2, one line per offence, no stack, nothing changed", async () => {
      const file = path.join(dir, "hostile.json");
      writeFileSync(file, JSON.stringify(HOSTILE.map((h) => entry(h.name, h.sql(victimPid)))));
      const result = await runScript("verify.ts", ["--catalog", file, "--stats-samples", "0"], { DATABASE_URL: db.url });
      expect(result.code, result.stderr).toBe(EXIT.usage);
      expect(looksLikeCleanError(result.stderr)).toBe(true);
      for (const h of HOSTILE) expect(result.stderr).toMatch(new RegExp(`'${h.name}': field 'sql' ${h.staticRefusal.source}`));
      await assertNothingChanged();
    });
  });

  describe("runtime layer: the reader role, with the static check bypassed", () => {
    it.each(HOSTILE)("the server refuses $name run as the reader role", async (h) => {
      // readOnly is verify's own transaction (READ ONLY, SET LOCAL ROLE, rolled back); tx.unsafe skips the static check.
      const run = readOnly(sql, async (tx) => tx.unsafe(h.sql(victimPid)));
      await expect(run).rejects.toThrow(h.runtimeRefusal);
      await assertNothingChanged();
    });

    it("an advisory lock taken as the reader role does not outlive verify's transaction", async () => {
      // Control: outside verify's guard a session-level advisory lock does outlive its statement.
      await sql`SELECT pg_advisory_lock(4242)`;
      expect(((await sql`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`) as unknown as [{ n: number }])[0].n).toBe(1);
      await sql`SELECT pg_advisory_unlock(4242)`;
      await readOnly(sql, async (tx) => tx.unsafe("SELECT pg_advisory_lock(4242)"));
      await assertNothingChanged();
    });

    it("a statement that switches the role back (static check bypassed) is reported, not graded", async () => {
      // The role alone cannot stop set_config('role', ...) (the static layer refuses it): the guard detects it at the end of the transaction.
      const run = readOnly(sql, async (tx) => tx.unsafe("SELECT set_config('role', 'none', true)"));
      await expect(run).rejects.toThrow(/a catalog statement left the reader role bollalabz_verify \(it ran as postgres\)/);
      await assertNothingChanged();
    });

    it("the catalog runs as the reader role, not the connecting one", async () => {
      const [row] = await readOnly(sql, async (tx) => tx.unsafe("SELECT current_user AS reader, session_user AS connected, pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS stats"));
      expect(row).toEqual({ reader: VERIFY_READER_ROLE, connected: "postgres", stats: true });
      const [reader] = (await sql`SELECT rolsuper, rolreplication, rolcanlogin, rolcreaterole, pg_has_role(oid, 'pg_signal_backend', 'USAGE') AS signal, pg_has_role(oid, 'pg_read_server_files', 'USAGE') AS files FROM pg_roles WHERE rolname = ${VERIFY_READER_ROLE}`) as unknown as [Record<string, boolean>];
      expect(reader).toEqual({ rolsuper: false, rolreplication: false, rolcanlogin: false, rolcreaterole: false, signal: false, files: false });
    });

    it("control: the connecting role (a superuser) could read the file, so the refusal is the reader role's", async () => {
      const [row] = (await sql.begin("read only", (tx) => tx.unsafe("SELECT length(pg_read_file('PG_VERSION')) > 0 AS read"))) as unknown as [{ read: boolean }];
      expect(row.read).toBe(true);
    });

    it("runCatalog given the hostile entries unvalidated: each fails alone, verify's own entry passes, nothing changed", async () => {
      const hostile = HOSTILE.map((h) => entry(h.name, h.sql(victimPid)));
      const run = await runCatalog(sql, [...hostile, entry("harmless", "SELECT count(*) FROM people")], { runs: 5, warmup: 1, explainRuns: 1, statsSamples: 1 });
      const byName = new Map(run.queries.map((q) => [q.name, q]));
      for (const h of HOSTILE) expect(byName.get(h.name)!.pass, h.name).toBe(false);
      expect(byName.get("harmless")!.failures).toEqual([]);
      await assertNothingChanged();
    });
  });

  it("a connecting role that cannot enter the reader role gets one line and exit 4", async () => {
    const user = `verify_outsider_${process.pid}`;
    await sql.unsafe(`CREATE ROLE ${user} LOGIN PASSWORD 'outsider-password'`);
    // A realistic deploy role: reads the tables and the monitoring views, no superuser.
    await sql.unsafe(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${user}`);
    await sql.unsafe(`GRANT pg_monitor TO ${user}`);
    try {
      const url = new URL(db.url);
      url.username = user;
      url.password = "outsider-password";
      const result = await runScript("verify.ts", ["--stats-samples", "0", "--runs", "5"], { DATABASE_URL: url.toString() });
      expect(result.code, result.stderr).toBe(EXIT.notReady);
      expect(looksLikeCleanError(result.stderr)).toBe(true);
      expect(result.stderr).toMatch(new RegExp(`${user} cannot enter it: permission denied to set role "${VERIFY_READER_ROLE}".*GRANT ${VERIFY_READER_ROLE} TO ${user};`));
      expect(result.stderr.trim().split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
    } finally {
      await sql.unsafe(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${user}`);
      await sql.unsafe(`REVOKE pg_monitor FROM ${user}`);
      await sql.unsafe(`DROP ROLE ${user}`);
    }
  });
});
