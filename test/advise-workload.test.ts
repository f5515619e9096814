// advise on pg_stat_statements' normalized text with the values the app sent
// (issue #26 items 1 and 2), against the real test server: each parameter
// context made plannable, the pgbench-style shapes that lost their candidates
// when advise left EXPLAIN (GENERIC_PLAN), the server log in each format,
// values chosen jointly, the unrepresentative-values verdict, and the
// project's own statements left out.
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adviseDatabase, type AdviseReport } from "../src/advise/advise.ts";
import { plannableStatement } from "../src/advise/parameter-contexts.ts";
import { readSchema, type SchemaInfo } from "../src/advise/schema.ts";
import { fingerprintOf, normalizeLogged, parseServerLog, readLogFile } from "../src/advise/server-log.ts";
import { EXIT, UserError } from "../src/base/errors.ts";
import { markDatabase } from "../src/db/scratch-database.ts";
import { markOwn } from "../src/db/own-statements.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";
import { waitFor } from "./support/wait-for.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

/** A helpdesk's tickets: unknown to the project. Status and kind are correlated: the commonest of each never meet. */
async function plantTickets(db: TestDatabase, rows = 40_000): Promise<void> {
  await db.sql.unsafe(`
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
    CREATE TABLE tickets (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      owner text NOT NULL,
      owner_id int NOT NULL,
      status text NOT NULL,
      kind text NOT NULL,
      subject text NOT NULL,
      tags text[] NOT NULL,
      due date NOT NULL,
      updated_at timestamptz NOT NULL
    );
    INSERT INTO tickets (owner, owner_id, status, kind, subject, tags, due, updated_at)
    SELECT 'Owner' || (g % 500), g % 500,
           (ARRAY['open','open','open','open','open','pending','pending','pending','closed','closed'])[1 + g % 10],
           (ARRAY['bug','bug','bug','task','task','task','task','task','question','question'])[1 + (g / 10) % 10],
           (ARRAY['printer jammed','cannot login','invoice missing','slow dashboard','password reset'])[1 + g % 5] || ' #' || g,
           ARRAY[(ARRAY['billing','hardware','access','urgent'])[1 + g % 4]],
           current_date - (g % 400) + 200,
           now() - g * interval '1 minute'
    FROM generate_series(1, ${rows}) g;
    -- The commonest status ('open') and kind ('task') never meet.
    UPDATE tickets SET kind = 'bug' WHERE status = 'open' AND kind = 'task';
    ANALYZE tickets;`).simple();
}

async function resetStatements(db: TestDatabase): Promise<void> {
  await db.sql`SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`;
}

describe("each parameter context becomes plannable text with a type", () => {
  let db: TestDatabase;
  let schema: SchemaInfo;
  beforeAll(async () => {
    db = await createDatabase("advise_ctx");
    await plantTickets(db, 2_000);
    schema = await readSchema(db.sql);
  }, 120_000);
  afterAll(() => db?.drop());

  const shapes: [string, string, RegExp, string][] = [
    ["interval $n", "SELECT id FROM tickets WHERE updated_at > now() - interval $1", /\$1::interval/, "interval"],
    ["date arithmetic", "SELECT id FROM tickets WHERE due >= current_date - $1", /current_date - \$1::integer/, "days"],
    ["LIMIT/OFFSET", "SELECT id FROM tickets ORDER BY id LIMIT $1 OFFSET $2", /LIMIT \$1::bigint OFFSET \$2::bigint/, "limit"],
    ["left/substr lengths", "SELECT left(subject, $1), substr(subject, $2, $3) FROM tickets", /left\(subject, \$1::integer\), substr\(subject, \$2::integer, \$3::integer\)/, "length"],
    ["date_trunc unit", "SELECT date_trunc($1, updated_at), count(*) FROM tickets GROUP BY 1", /date_trunc\(\$1::text, updated_at\)/, "time-unit"],
    ["= ANY($n)", "SELECT id FROM tickets WHERE owner_id = ANY($1)", /ANY\(\$1::integer\[\]\)/, "any"],
    ["ARRAY[$n]", "SELECT id FROM tickets WHERE tags @> ARRAY[$1]::text[]", /ARRAY\[\$1::text\]/, "element"],
    ["IN list", "SELECT id FROM tickets WHERE status IN ($1, $2)", /IN \(\$1::text, \$2::text\)/, "in"],
    ["LIKE pattern", "SELECT id FROM tickets WHERE subject ILIKE $1", /ILIKE \$1::text/, "like"],
    ["row comparison (keyset)", "SELECT id FROM tickets WHERE (owner, id) > ($1, $2) ORDER BY owner, id LIMIT $3", /\(\$1::text, \$2::bigint\)/, "compare"],
    ["column comparison", "SELECT id FROM tickets WHERE $1 < owner_id", /\$1::integer < owner_id/, "compare"],
  ];
  it.each(shapes)("%s", async (_name, text, rewritten, kind) => {
    const p = await plannableStatement(text, schema);
    expect(p.plannableSql).toMatch(rewritten);
    expect(p.params[0]!.role.kind).toBe(kind);
    // PostgreSQL plans the rewritten text without values (the normalized text alone fails for interval $1 and date arithmetic).
    const [row] = await db.sql.unsafe(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${p.plannableSql}`);
    expect(row).toBeDefined();
  });

  it("the normalized text itself does not plan for interval $n (what the rewrite fixes)", async () => {
    await expect(db.sql.unsafe("EXPLAIN (GENERIC_PLAN) SELECT id FROM tickets WHERE updated_at > now() - interval $1")).rejects.toThrow(/syntax error/);
  });
});

describe("pgbench-style statements (parameters inside expressions) get candidates again", () => {
  let db: TestDatabase;
  let report: AdviseReport;
  beforeAll(async () => {
    db = await createDatabase("advise_exprs");
    await plantTickets(db);
    await resetStatements(db);
    // Constants, as an app writes them: pg_stat_statements turns each into $n.
    for (let i = 0; i < 3; i++) {
      await db.sql.unsafe(`SELECT id FROM tickets WHERE lower(owner) = lower('Owner' || '${40 + i}')`);
      await db.sql.unsafe(`SELECT id, subject FROM tickets WHERE updated_at > now() - interval '2 hours'`);
      await db.sql.unsafe(`SELECT id, subject FROM tickets WHERE owner_id = ${i + 7} ORDER BY updated_at DESC LIMIT 10`);
    }
    report = await adviseDatabase(db.sql, db, { runs: 1, overlaps: false, serverLog: false });
  }, 120_000);
  afterAll(() => db?.drop());

  const statement = (re: RegExp) => report.statements.find((s) => re.test(s.query));
  it("lower($1 || $2): no value, problems from the generic plan, an expression index", () => {
    const s = statement(/lower\(\$1 \|\| \$2\)/);
    expect(s, JSON.stringify(report.statements.map((x) => x.query))).toBeDefined();
    expect(s!.values.source).toBe("generic");
    expect(s!.values.estimatedOnly).toMatch(/generic plan's estimates/);
    expect(report.candidates.filter((c) => c.statements.includes(s!.id)).map((c) => c.definition).join()).toMatch(/lower\(owner\)/);
  });
  it("now() - interval $1: values inferred, a candidate on the time column", () => {
    const s = statement(/interval \$1/);
    expect(s!.values.source).toBe("inferred");
    expect(s!.values.plannableSql).toMatch(/\$1::interval/);
    expect(report.candidates.filter((c) => c.statements.includes(s!.id)).map((c) => c.definition).join()).toMatch(/updated_at/);
  });
  it("LIMIT $2: the limit from rows per call, a candidate on equality then sort", () => {
    const s = statement(/owner_id = \$1 ORDER BY updated_at DESC LIMIT \$2/);
    expect(s!.values.source).toBe("inferred");
    expect(s!.values.representative.verdict).toBe("representative");
    expect(report.candidates.filter((c) => c.statements.includes(s!.id)).map((c) => c.definition).join()).toMatch(/\(owner_id, updated_at DESC\)/);
  });
  it("every statement is analyzed: none skipped", () => {
    expect(report.statements.filter((s) => s.skipped)).toEqual([]);
  });
});

describe("the values the app sent, from the server's log", () => {
  const sqlText = "SELECT id FROM tickets WHERE owner_id = $1 AND status = $2 LIMIT 50";
  const stderr = [
    "2026-12-04 20:00:00.123 UTC [4242] LOG:  duration: 12.500 ms  execute s1: SELECT id FROM tickets",
    "\tWHERE owner_id = $1 AND status = $2 LIMIT 50",
    "2026-12-04 20:00:00.123 UTC [4242] DETAIL:  Parameters: $1 = '7', $2 = 'it''s'",
    "2026-12-04 20:00:01.000 UTC [4242] LOG:  checkpoint starting: time",
  ].join("\n");
  const csvlog =
    `2026-12-04 20:00:00.123 UTC,"app","shop",4242,"127.0.0.1:5000",abc.1,1,"SELECT",2026-12-04 19:00:00 UTC,3/4,0,LOG,00000,"duration: 12.500 ms  execute s1: ${sqlText}","parameters: $1 = '7', $2 = 'it''s'",,,,,,,,"","client backend",,0\n` +
    `2026-12-04 20:00:01.000 UTC,,,4243,,abc.2,1,,2026-12-04 19:00:00 UTC,,0,LOG,00000,"checkpoint starting: time",,,,,,,,,"","checkpointer",,0\n`;
  const jsonlog = `${JSON.stringify({ timestamp: "2026-12-04 20:00:00.123 UTC", dbname: "shop", error_severity: "LOG", message: `duration: 12.500 ms  execute s1: ${sqlText}`, detail: "parameters: $1 = '7', $2 = 'it''s'" })}\n`;

  it.each([
    ["stderr", stderr],
    ["csvlog", csvlog],
    ["jsonlog", jsonlog],
  ])("%s: the statement, its duration and its bind parameters", (_format, text) => {
    const [logged, ...rest] = parseServerLog(text);
    expect(rest).toEqual([]);
    expect(logged!.sql.replace(/\s+/g, " ")).toBe(sqlText);
    expect(logged!.durationMs).toBe(12.5);
    expect(logged!.params).toEqual(["7", "it's"]);
  });

  it("constants get pg_stat_statements' numbering after the bind parameters, and the same fingerprint", async () => {
    const [logged] = parseServerLog(stderr);
    const n = await normalizeLogged(logged!);
    expect(n!.values).toEqual(["7", "it's", "50"]);
    expect(n!.fingerprint).toBe(await fingerprintOf("SELECT id FROM tickets WHERE owner_id = $1 AND status = $2 LIMIT $3"));
  });

  it("--log FILE that cannot be read: one clear line, exit 2", () => {
    let error: unknown;
    try {
      readLogFile(path.join(tmpdir(), "no-such-dir-advise", "postgresql.log"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(EXIT.usage);
    expect((error as UserError).message).toMatch(/^--log .*postgresql\.log: cannot read it \(ENOENT\); expected a PostgreSQL server log/);
  });

  describe("end to end", () => {
    let db: TestDatabase;
    let dir: string;
    beforeAll(async () => {
      db = await createDatabase("advise_log");
      await plantTickets(db, 20_000);
      await resetStatements(db);
      dir = suiteServerDir("advise-log");
    }, 120_000);
    afterAll(async () => {
      await db?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("reads the server's own jsonlog (the settings log every statement of this session)", async () => {
      await db.sql.begin(async (tx) => {
        await tx`SET LOCAL log_min_duration_statement = 0`;
        for (let i = 0; i < 3; i++) await tx`SELECT id FROM tickets WHERE owner_id = ${313} AND kind = ${"question"} ORDER BY id LIMIT 20`;
      });
      const wanted = /owner_id = \$1 AND kind = \$2 ORDER BY id LIMIT \$3/;
      // The collector writes the lines shortly after the statements: wait for that state.
      const report = await waitFor(
        () => adviseDatabase(db.sql, db, { runs: 1, overlaps: false, showValues: true }),
        (r) => r.statements.find((s) => wanted.test(s.query))?.values.source === "log",
        "the logged statement in the server's jsonlog",
        60_000,
      );
      const s = report.statements.find((x) => wanted.test(x.query))!;
      expect(report.valueLog).toMatch(/the server's log/);
      expect(s.values.source).toBe("log");
      expect(s.values.sets?.[0]).toEqual(["313", "question", "20"]);
    }, 120_000);

    it("--log FILE takes another server's log; values stay out of the report without --show-values", async () => {
      await db.sql`SELECT id, subject FROM tickets WHERE status = ${"pending"} AND due < ${"2030-01-01"}`;
      await db.sql`SELECT id, subject FROM tickets WHERE status = ${"pending"} AND due < ${"2030-01-01"}`;
      const file = path.join(dir, "other.log");
      writeFileSync(
        file,
        "2026-12-04 20:00:00.123 UTC [1] LOG:  duration: 50.000 ms  execute <unnamed>: SELECT id, subject FROM tickets WHERE status = $1 AND due < $2\n" +
          "2026-12-04 20:00:00.123 UTC [1] DETAIL:  parameters: $1 = 'closed', $2 = '2026-01-01'\n",
      );
      const report = await adviseDatabase(db.sql, db, { runs: 1, overlaps: false, logFile: file });
      const s = report.statements.find((x) => /status = \$1 AND due < \$2/.test(x.query))!;
      expect(report.valueLog).toMatch(/--log/);
      expect(s.values.source).toBe("log");
      expect(s.values.sets).toBeUndefined();
      expect(JSON.stringify(report)).not.toContain("2026-01-01");
    });
  });
});

describe("values inferred jointly, and the unrepresentative-values verdict", () => {
  let db: TestDatabase;
  let report: AdviseReport;
  beforeAll(async () => {
    db = await createDatabase("advise_joint");
    await plantTickets(db);
    await markDatabase(db.sql, db.name, "scratch");
    await resetStatements(db);
    for (let i = 0; i < 3; i++) {
      // The app asks for combinations that exist; each column's commonest value alone would match none together.
      await db.sql`SELECT kind, count(*) FROM tickets WHERE status = ${"open"} AND kind = ${i % 2 ? "bug" : "question"} GROUP BY kind`;
      // The app asks for owners that do not exist: every value pg_stats offers returns rows.
      await db.sql`SELECT id, subject FROM tickets WHERE owner = ${`Nobody${i}`}`;
    }
    report = await adviseDatabase(db.sql, db, { runs: 1, overlaps: false, validate: true, serverLog: false });
  }, 180_000);
  afterAll(() => db?.drop());

  it("the combination returns rows as the workload did (not each column's commonest value)", () => {
    const s = report.statements.find((x) => /status = \$1 AND kind = \$2/.test(x.query))!;
    expect(s.values.source).toBe("inferred");
    expect(s.values.representative).toMatchObject({ verdict: "representative" });
    expect((s.values.representative as { rows: number }).rows).toBeGreaterThan(0);
  });

  it("values that cannot reproduce the workload's rows: 'measured with unrepresentative values', no candidate accepted", () => {
    const s = report.statements.find((x) => /owner = \$1/.test(x.query))!;
    expect(s.values.representative.verdict).toBe("unrepresentative");
    expect(s.plan).not.toBeNull();
    const mine = report.candidates.filter((c) => c.statements.includes(s.id));
    expect(mine.every((c) => c.accepted !== true)).toBe(true);
  });
});

describe("the project's own statements are left out and counted", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createDatabase("advise_own");
    await plantTickets(db, 2_000);
    await resetStatements(db);
  }, 120_000);
  afterAll(() => db?.drop());

  it("pg_stat_statements keeps the mark, and advise leaves the statement out", async () => {
    for (let i = 0; i < 3; i++) await db.sql.unsafe(markOwn("SELECT id, owner FROM tickets WHERE owner_id = $1"), [i]);
    for (let i = 0; i < 3; i++) await db.sql`SELECT id FROM tickets WHERE owner_id = ${i} AND status = ${"open"}`;
    const [kept] = await db.sql<{ query: string }[]>`SELECT query FROM pg_stat_statements WHERE query LIKE 'SELECT id, owner FROM tickets%'`;
    expect(kept!.query).toContain("/* bollalabz-db */");
    const report = await adviseDatabase(db.sql, db, { runs: 1, overlaps: false, serverLog: false });
    expect(report.statements.some((s) => s.query.includes("SELECT id, owner"))).toBe(false);
    expect(report.statements.some((s) => /owner_id = \$1 AND status = \$2/.test(s.query))).toBe(true);
    expect(report.leftOut!.own).toBeGreaterThanOrEqual(1);
    expect(report.workload).toMatch(/left out: \d+ of the project's own/);
  });
});
