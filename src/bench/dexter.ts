// Side by side with Dexter (a peer index advisor that reads the server's
// statement log and tries hypothetical indexes with hypopg) on the same
// server and the same data: a scratch database is migrated and seeded, a
// workload the project has never seen (src/bench/dexter-workload.json, the
// verify --catalog shape) is measured by the catalog's budget rule, then run
// through the app's pool so that pg_stat_statements and the server log hold
// it as an app leaves it. Dexter (dry run) and advise --validate both read
// that log; each tool's indexes are then built, the workload measured again,
// and the indexes dropped. Nothing here starts a server: the user points
// DATABASE_URL at a PostgreSQL with hypopg installed (docs/benchmarks.md).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { adviseDatabase, type AdviseReport } from "../advise/advise.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { formatMsCell } from "../base/format.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { dropScratchDatabase, recreateScratchDatabase, scratchDatabaseBeside } from "../db/scratch-database.ts";
import { markOwn } from "../db/own-statements.ts";
import { ensureVerifyReaderRole } from "../db/verify-reader-role.ts";
import { maskUrl, quoteIdent, withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { applyMigrations } from "../migrate/graphile.ts";
import { createDatabase, poolConfigFromEnv } from "../pool/index.ts";
import { currentHourUtc, seedDatabase } from "../seed/generate.ts";
import { runCatalog, type QueryResult } from "../verify/run-catalog.ts";

export interface DexterBenchOptions {
  /** A checkout of Dexter's 0.4.x line (exe/dexter, lib/). */
  readonly dexterDir: string;
  readonly scale: number;
  readonly seed: number;
  readonly workload: readonly CatalogEntry[];
  /** Calls per parameter variant in the workload run. */
  readonly rounds: number;
  /** Timed runs per variant in each measurement (verify's --runs). */
  readonly runs: number;
  readonly keep: boolean;
  readonly reuse: boolean;
  readonly log: (line: string) => void;
}

export interface ToolResult {
  readonly tool: "dexter" | "advise";
  readonly ms: number;
  /** CREATE INDEX statements the tool proposed (advise: the accepted candidates). */
  readonly indexes: readonly string[];
  /** Why the tool produced nothing usable, if it failed. */
  readonly error: string | null;
  readonly queries: readonly QueryResult[] | null;
}

export interface DexterBenchResult {
  readonly database: string;
  readonly scale: number;
  readonly serverVersion: string;
  readonly seedMs: number | null;
  readonly workloadCalls: number;
  readonly loggedLines: number;
  readonly before: readonly QueryResult[];
  readonly dexter: ToolResult;
  readonly advise: ToolResult;
  readonly adviseReport: AdviseReport | null;
}

const INDEX_FOUND = /Index found: (\S+) \(([^)]*)\)/;

/** Dexter's "Index found: public.people (updated_at, id)" lines as CREATE INDEX statements. */
export function dexterIndexes(output: string): string[] {
  const out: string[] = [];
  for (const line of output.split("\n")) {
    const m = INDEX_FOUND.exec(line);
    if (!m) continue;
    const columns = m[2]!.split(",").map((c) => quoteIdent(c.trim())).join(", ");
    const table = m[1]!.split(".").map(quoteIdent).join(".");
    out.push(`CREATE INDEX ON ${table} (${columns})`);
  }
  return out;
}

function checkDexterDir(dir: string): void {
  if (!existsSync(path.join(dir, "exe", "dexter")) || !existsSync(path.join(dir, "lib", "dexter.rb"))) {
    throw new UserError(`--dexter ${dir}: no Dexter checkout there (expected exe/dexter and lib/dexter.rb); check out Dexter's 0.4.x line and pass its folder`, EXIT.usage);
  }
  const ruby = spawnSync("ruby", ["-v"], { encoding: "utf8" });
  if (ruby.error || ruby.status !== 0) {
    throw new UserError("ruby is not installed: Dexter needs it (Debian: apt-get install ruby ruby-pg ruby-pg-query ruby-slop)", EXIT.notReady);
  }
}

/** The peer server must have what both tools read: hypopg, a superuser role, the statement log. */
async function checkServer(sql: Sql): Promise<string> {
  const [row] = await sql<{ version: string; num: number; superuser: boolean; hypopg: boolean; collector: string; destination: string; minDuration: string }[]>`
    SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num,
           (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
           EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg') AS hypopg,
           current_setting('logging_collector') AS collector, current_setting('log_destination') AS destination,
           current_setting('log_min_duration_statement') AS "minDuration"`;
  const r = row!;
  if (!r.superuser) throw new UserError("The dexter bench creates a scratch database, hypopg and reads the server log: DATABASE_URL's role must be a superuser of that server", EXIT.notReady);
  if (!r.hypopg) throw new UserError(`The server (PostgreSQL ${r.version}) has no hypopg extension, which Dexter needs: install it for that server (Debian: postgresql-${Math.floor(r.num / 10_000)}-hypopg) or point DATABASE_URL at one that has it`, EXIT.notReady);
  if (r.collector !== "on" || r.minDuration === "-1") throw new UserError(`The server does not log statements to files (logging_collector=${r.collector}, log_min_duration_statement=${r.minDuration}): start it with the project's settings (src/settings/server-settings.ts)`, EXIT.notReady);
  return r.version;
}

interface LogMark {
  readonly file: string;
  readonly size: number;
}

async function logMark(sql: Sql): Promise<LogMark> {
  const [row] = await sql<{ file: string | null }[]>`SELECT coalesce(pg_current_logfile('jsonlog'), pg_current_logfile('csvlog'), pg_current_logfile()) AS file`;
  if (!row?.file) throw new UserError("The server reports no current log file (pg_current_logfile() is NULL): logging_collector must be on", EXIT.notReady);
  const [stat] = await sql<{ size: number }[]>`SELECT size::float8 AS size FROM pg_stat_file(${row.file})`;
  return { file: row.file, size: stat!.size };
}

/** What the server logged since the mark (the marked file's tail, then a file it rotated to). */
async function logSince(sql: Sql, mark: LogMark): Promise<string> {
  const now = await logMark(sql);
  const read = async (file: string, from: number, to: number) =>
    to > from ? ((await sql<{ text: string }[]>`SELECT pg_read_file(${file}, ${from}, ${to - from}) AS text`)[0]?.text ?? "") : "";
  if (now.file === mark.file) return read(mark.file, mark.size, now.size);
  const [old] = await sql<{ size: number }[]>`SELECT size::float8 AS size FROM pg_stat_file(${mark.file})`;
  return (await read(mark.file, mark.size, old!.size)) + (await read(now.file, 0, now.size));
}

/** The log since the mark, in a file both tools read; Dexter's --input-format for it. */
async function captureLog(sql: Sql, mark: LogMark, dir: string, log: (line: string) => void): Promise<{ logFile: string; format: string; loggedLines: number }> {
  const text = await logSince(sql, mark);
  const format = mark.file.endsWith(".json") ? "json" : mark.file.endsWith(".csv") ? "csv" : "stderr";
  const logFile = path.join(dir, `workload.${format === "stderr" ? "log" : format}`);
  writeFileSync(logFile, text);
  const loggedLines = text.split("\n").filter((l) => /duration: [\d.]+ ms\s+(execute|statement)/.test(l)).length;
  log(`captured ${loggedLines} logged statements (${(text.length / 1024).toFixed(0)} kB)`);
  return { logFile, format, loggedLines };
}

/** The workload through the app's pool: each variant's values picked once, then `rounds` calls. */
async function runWorkload(sql: Sql, target: DatabaseTarget, workload: readonly CatalogEntry[], rounds: number, log: (line: string) => void): Promise<number> {
  // The pool's slow-query lines are what the workload is made of: counted per query below, not printed per call.
  const quiet = { warn: () => {}, error: () => {} };
  const db = createDatabase(poolConfigFromEnv({}, { target }), { logger: quiet });
  let calls = 0;
  try {
    for (const entry of workload) {
      const t0 = performance.now();
      let n = 0;
      for (const picker of Object.values(entry.params)) {
        // Marked as the project's own: advise leaves the pickers out of the app's workload.
        const [row] = await sql.unsafe(markOwn(picker)).values();
        const values = (row ?? []) as unknown[];
        for (let i = 0; i < rounds; i++, n++) await db.sql.unsafe(entry.sql, values as never[], { prepare: entry.prepared !== false });
      }
      calls += n;
      log(`  ${entry.name}: ${n} calls, ${((performance.now() - t0) / n).toFixed(1)} ms mean`);
    }
  } finally {
    await db.close();
  }
  return calls;
}

async function measure(sql: Sql, workload: readonly CatalogEntry[], runs: number): Promise<QueryResult[]> {
  const run = await runCatalog(sql, workload, { runs, warmup: 2, explainRuns: 3, statsSamples: 0 });
  return [...run.queries];
}

/** Build a tool's indexes, analyze their tables, measure, drop them again (the next tool starts from the same state). */
async function measureWith(sql: Sql, statements: readonly string[], workload: readonly CatalogEntry[], runs: number, prefix: string, log: (line: string) => void): Promise<QueryResult[]> {
  const built: string[] = [];
  try {
    for (const [i, statement] of statements.entries()) {
      const name = `${prefix}_${i + 1}`;
      const named = statement.replace(/^CREATE INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(?:\S+ )?ON /i, `CREATE INDEX ${name} ON `);
      const t0 = performance.now();
      await sql.unsafe(named);
      built.push(name);
      log(`  built ${named} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    // An expression index gets its statistics from ANALYZE; both tools' indexes are treated alike.
    if (built.length > 0) await sql.unsafe("ANALYZE");
    return await measure(sql, workload, runs);
  } finally {
    for (const name of built) await sql.unsafe(`DROP INDEX IF EXISTS ${name}`);
    if (built.length > 0) await sql.unsafe("ANALYZE");
  }
}

function runDexter(dir: string, target: DatabaseTarget, logFile: string, format: string): { ms: number; output: string; error: string | null } {
  const url = new URL(target.url);
  const t0 = performance.now();
  // The password goes in the environment, never on the command line (process listings).
  const result = spawnSync(
    "ruby",
    ["-Ilib", "exe/dexter", "-d", decodeURIComponent(url.pathname.slice(1)), "-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username), "--input-format", format, logFile],
    { cwd: dir, encoding: "utf8", env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) }, maxBuffer: 64 * 1024 * 1024 },
  );
  const ms = performance.now() - t0;
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  const error = result.error ? result.error.message : result.status !== 0 ? `exit ${result.status}: ${output.trim().split("\n").slice(-3).join(" / ")}` : null;
  return { ms, output, error };
}

/** The scratch database, migrated and seeded (or re-used with --reuse); the seed time, null when re-used. */
async function prepareScratchDatabase(root: DatabaseTarget, bench: DatabaseTarget, name: string, options: DexterBenchOptions): Promise<number | null> {
  const exists = await withSql(root, async (sql) => (await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`).length > 0, { max: 1 });
  if (options.reuse && exists) {
    options.log(`re-using scratch database ${bench.display}`);
    return null;
  }
  await withSql(root, (sql) => recreateScratchDatabase(sql, name), { max: 1 });
  options.log(`scratch database ${bench.display}: migrating, seeding at scale ${options.scale} ...`);
  await applyMigrations(bench);
  const seeded = await withSql(bench, (sql) => seedDatabase(sql, { scale: options.scale, seed: options.seed, anchor: currentHourUtc() }), { max: 1 });
  await withSql(bench, (sql) => sql`VACUUM ANALYZE`, { max: 1 });
  return seeded.totalMs;
}

export async function runDexterBench(target: DatabaseTarget, options: DexterBenchOptions): Promise<DexterBenchResult> {
  checkDexterDir(options.dexterDir);
  const rootUrl = target.rootUrl ?? target.url;
  const root: DatabaseTarget = { url: rootUrl, display: maskUrl(rootUrl), source: target.rootUrl ? "ROOT_DATABASE_URL" : target.source };
  const serverVersion = await withSql(root, checkServer, { max: 1, applicationName: "bollalabz-db/bench" });
  const url = new URL(target.url);
  const name = scratchDatabaseBeside(target, "dexter_bench");
  url.pathname = `/${name}`;
  // Dexter and advise connect as the same superuser: Dexter creates hypopg and reads the catalog.
  const benchUrl = new URL(rootUrl);
  benchUrl.pathname = `/${name}`;
  const bench: DatabaseTarget = { url: benchUrl.toString(), display: maskUrl(benchUrl.toString()), source: target.source, rootUrl };
  const seedMs = await prepareScratchDatabase(root, bench, name, options);
  const logDir = mkdtempSync(path.join(tmpdir(), "bollalabz-dexter-"));
  try {
    return await withSql(
      bench,
      async (sql) => {
        await sql`CREATE EXTENSION IF NOT EXISTS hypopg`;
        await ensureVerifyReaderRole(sql);
        options.log(`before: measuring ${options.workload.length} workload queries`);
        const before = await measure(sql, options.workload, options.runs);
        const mark = await logMark(sql);
        await sql`SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`;
        options.log("workload through the app's pool:");
        const workloadCalls = await runWorkload(sql, bench, options.workload, options.rounds, options.log);
        const { logFile, format, loggedLines } = await captureLog(sql, mark, logDir, options.log);

        options.log("Dexter (dry run) on the captured log ...");
        const d = runDexter(options.dexterDir, bench, logFile, format);
        const dexterStatements = dexterIndexes(d.output);
        options.log(`Dexter: ${(d.ms / 1000).toFixed(1)} s, ${dexterStatements.length} index(es)${d.error ? `; ${d.error}` : ""}`);

        options.log("advise --validate on the same log ...");
        const a0 = performance.now();
        let report: AdviseReport | null = null;
        let adviseError: string | null = null;
        try {
          report = await withSql(bench, (s) => adviseDatabase(s, bench, { validate: true, logFile, log: (l) => options.log(`  ${l}`) }), { max: 1, applicationName: "bollalabz-db/advise" });
        } catch (error) {
          adviseError = (error as Error).message;
        }
        const adviseMs = performance.now() - a0;
        const adviseStatements = (report?.candidates ?? []).filter((c) => c.accepted).map((c) => `CREATE INDEX ON ${c.table} ${c.definition}`);
        options.log(`advise: ${(adviseMs / 1000).toFixed(1)} s, ${adviseStatements.length} accepted index(es)${adviseError ? `; ${adviseError}` : ""}`);

        options.log("after Dexter's indexes:");
        const dexterQueries = await measureWith(sql, dexterStatements, options.workload, options.runs, "bench_dexter", options.log);
        options.log("after advise's indexes:");
        const adviseQueries = await measureWith(sql, adviseStatements, options.workload, options.runs, "bench_advise", options.log);
        return {
          database: bench.display,
          scale: options.scale,
          serverVersion,
          seedMs,
          workloadCalls,
          loggedLines,
          before,
          dexter: { tool: "dexter", ms: d.ms, indexes: dexterStatements, error: d.error, queries: dexterQueries },
          advise: { tool: "advise", ms: adviseMs, indexes: adviseStatements, error: adviseError, queries: adviseQueries },
          adviseReport: report,
        };
      },
      { max: 1, applicationName: "bollalabz-db/bench" },
    );
  } finally {
    rmSync(logDir, { recursive: true, force: true });
    if (!options.keep) await withSql(root, (sql) => dropScratchDatabase(sql, name), { max: 1 }).catch(() => {});
  }
}

function cell(q: QueryResult | undefined): string {
  if (!q) return "-";
  return `${q.pass ? "ok" : "FAIL"} ${formatMsCell(q.server.p95)}`;
}

/** Who brought a failing query within its budget. */
export function fixedBy(before: QueryResult, dexter: QueryResult | undefined, advise: QueryResult | undefined): string {
  if (before.pass) return "(passed before)";
  const d = dexter?.pass ?? false;
  const a = advise?.pass ?? false;
  return d && a ? "both" : d ? "Dexter only" : a ? "advise only" : "neither";
}

export function formatDexterBench(r: DexterBenchResult): string {
  const byName = (list: readonly QueryResult[] | null, name: string) => list?.find((q) => q.name === name);
  const rows = r.before.map((b) => [b.name, cell(b), cell(byName(r.dexter.queries, b.name)), cell(byName(r.advise.queries, b.name)), fixedBy(b, byName(r.dexter.queries, b.name), byName(r.advise.queries, b.name))]);
  const header = ["query", "before", "after Dexter", "after advise", "fixed by"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const count = (tool: ToolResult) => r.before.filter((b) => !b.pass && byName(tool.queries, b.name)?.pass).length;
  const failing = r.before.filter((b) => !b.pass).length;
  const dexterOnly = rows.filter((row) => row[4] === "Dexter only").map((row) => row[0]);
  const out = [
    `dexter bench on ${r.database} (PostgreSQL ${r.serverVersion}, scale ${r.scale}${r.seedMs !== null ? `, seeded in ${(r.seedMs / 1000).toFixed(0)} s` : ", re-used"})`,
    `workload: ${r.before.length} queries, ${r.workloadCalls} calls through the app's pool; ${r.loggedLines} statements in the server log`,
    "cells: the catalog's budget rule (time, buffers, rows per execution) pass/FAIL, then the p95 server time in ms over every variant's timed runs",
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `failing before: ${failing}; fixed by Dexter's indexes: ${count(r.dexter)}; by advise's: ${count(r.advise)}${dexterOnly.length > 0 ? `; Dexter only: ${dexterOnly.join(", ")}` : ""}`,
    `Dexter ${(r.dexter.ms / 1000).toFixed(1)} s${r.dexter.error ? ` (${r.dexter.error})` : ""}:`,
    ...(r.dexter.indexes.length > 0 ? r.dexter.indexes.map((s) => `  ${s}`) : ["  (no index)"]),
    `advise --validate ${(r.advise.ms / 1000).toFixed(1)} s${r.advise.error ? ` (${r.advise.error})` : ""}:`,
    ...(r.advise.indexes.length > 0 ? r.advise.indexes.map((s) => `  ${s}`) : ["  (no accepted index)"]),
  ];
  const rejected = (r.adviseReport?.candidates ?? []).filter((c) => !c.accepted);
  if (rejected.length > 0) out.push("advise's candidates it did not accept:", ...rejected.map((c) => `  ${c.table} ${c.definition}: ${c.verdict}`));
  for (const tool of [r.dexter, r.advise]) {
    const failing = (tool.queries ?? []).filter((q) => !q.pass);
    if (failing.length === 0) continue;
    out.push(`failing after ${tool.tool === "dexter" ? "Dexter's" : "advise's"} indexes (first reason):`);
    for (const q of failing) out.push(`  ${q.name}: ${q.failures[0] ?? q.error ?? "-"}`);
  }
  return out.join("\n");
}
