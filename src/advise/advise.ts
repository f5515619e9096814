// npm run advise, as a library function: workload -> plans -> problems ->
// candidate indexes (minus those already served) -> optionally proof by
// building them (--validate) -> indexes another index serves nearly as well.
import { EXIT, UserError } from "../base/errors.ts";
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { checkPgStatStatements, describeStatStatementsProblem } from "../checks/pg-stat-statements.ts";
import { MIN_SERVER_VERSION_NUM } from "../checks/preflight.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { candidatesForProblems, consolidateCandidates, type Candidate } from "./candidates.ts";
import { indexesInPlan, planStatement, type StatementPlan } from "./plans.ts";
import { findProblems, type Problem } from "./problems.ts";
import { measureOverlaps, type IndexOverlap } from "./redundancy.ts";
import { readSchema, serverVersionNum } from "./schema.ts";
import { catalogWorkload, selectWorkload, topWorkloadStatements, type StatementFilter, type WorkloadSelection, type WorkloadStatement } from "./statements.ts";
import type { StatementSample } from "./samples.ts";
import { readLogFile, readServerLogOverSql } from "./server-log.ts";
import { buildSample, loggedValues, type LoggedValues } from "./workload-samples.ts";
import { measureRewrite, readForeignKeys, structuralFix, suffixMatchFix, type StructuralFix } from "./structural.ts";
import { assertMayExperiment, validateCandidates, type Validation, type Weighing, type WriteCost } from "./validate.ts";
import { currentDatabaseMark } from "../db/scratch-database.ts";

export interface AdviseOptions {
  readonly filter?: StatementFilter;
  /** Use this catalog as the workload instead of pg_stat_statements. */
  readonly catalog?: readonly CatalogEntry[];
  readonly catalogSource?: string;
  /** Build each candidate and measure it (scratch/development database, or --yes). */
  readonly validate?: boolean;
  /** Measure which indexes another index serves nearly as well (default: where experiments are allowed). */
  readonly overlaps?: boolean;
  /** Experiments on a database not marked scratch/development. */
  readonly yes?: boolean;
  readonly runs?: number;
  readonly largeTableRows?: number;
  /** An index is never redundant when hiding it yields a sequential scan over more rows than this (redundancy.ts). */
  readonly seqScanRows?: number;
  readonly log?: (line: string) => void;
  /** Session settings of advise's connection (--stats: the file's planner settings). */
  readonly sessionSettings?: Readonly<Record<string, string>>;
  /** --log FILE: another server's statement log (stderr text, csvlog or jsonlog) with the values the app sent. */
  readonly logFile?: string;
  /** Read the server's own log over SQL when no logFile is given (default true). */
  readonly serverLog?: boolean;
  /** --show-values: put the values in the report (they are data). */
  readonly showValues?: boolean;
}

export interface StatementReport {
  readonly id: string;
  readonly source: WorkloadStatement["source"];
  readonly query: string;
  readonly calls: number | null;
  readonly totalMs: number | null;
  readonly meanMs: number | null;
  readonly params: readonly unknown[] | null;
  readonly paramSources: readonly string[];
  readonly genericPlan: string | null;
  readonly genericSkipped?: string;
  readonly plan: string | null;
  readonly medianMs: number | null;
  readonly skipped?: string;
  /** Where the values came from and whether they reproduce the workload's rows (values only with showValues). */
  readonly values: {
    readonly source: StatementSample["source"];
    readonly representative: StatementSample["representative"];
    readonly rowsPerCall: number | null;
    readonly plannableSql: string;
    readonly notes: readonly string[];
    readonly estimatedOnly?: string;
    readonly sets?: StatementSample["valueSets"];
  };
  readonly problems: readonly { readonly kind: Problem["kind"]; readonly table: string | null; readonly detail: string }[];
  readonly candidates: readonly string[];
  readonly structural: StructuralFix | null;
}

export interface CandidateReport {
  readonly name: string;
  readonly table: string;
  readonly kind: Candidate["kind"];
  readonly definition: string;
  readonly statements: readonly string[];
  readonly reason: string;
  readonly replaces?: string;
  readonly requires?: string;
  /** Filled by --validate. */
  readonly validated: boolean;
  readonly accepted: boolean | null;
  readonly beforeMs: readonly { readonly statement: string; readonly ms: number }[];
  readonly afterMs: readonly { readonly statement: string; readonly ms: number; readonly usesIndex: boolean }[] | null;
  readonly bytes: number | null;
  readonly buildMs: number | null;
  readonly writeOverhead: string | null;
  /** Measured: rolled-back 10,000-row insert and update of its columns, rows/s without and with it. */
  readonly writeCost: WriteCost | null;
  /** Time saved per hour of the observed workload against write time added per hour. */
  readonly weighing: Weighing | null;
  readonly verdict: string;
}

export interface AdviseReport {
  readonly database: string;
  readonly serverVersion: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly workload: string;
  /** Statements pg_stat_statements holds ahead of the top N that were left out, and why. */
  readonly leftOut?: WorkloadSelection["leftOut"];
  /** Where the logged values came from, or why there are none. */
  readonly valueLog: string;
  readonly experiments: string;
  readonly statements: readonly StatementReport[];
  readonly candidates: readonly CandidateReport[];
  readonly alreadyServed: readonly { readonly definition: string; readonly table: string; readonly by: string; readonly statements: readonly string[] }[];
  readonly redundant: readonly IndexOverlap[];
  readonly overlapsMeasured: readonly IndexOverlap[];
  readonly overlapsSkipped?: string;
  readonly structural: readonly StructuralFix[];
}

export function summarizePlan(plan: StatementPlan["generic"]): string | null {
  if (!plan) return null;
  const parts: string[] = [];
  const walk = (n: typeof plan.Plan, depth: number) => {
    parts.push(`${"  ".repeat(depth)}${n["Node Type"]}${n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""}${n["Index Name"] ? ` using ${n["Index Name"]}` : ""}${n["Actual Rows"] !== undefined ? ` (rows ${Math.round((n["Actual Rows"] as number) * Math.max(1, (n["Actual Loops"] as number) ?? 1))})` : ""}`);
    for (const c of n.Plans ?? []) walk(c, depth + 1);
  };
  walk(plan.Plan, 0);
  return parts.join("\n");
}

export async function adviseDatabase(sql: Sql, target: Pick<DatabaseTarget, "display" | "source">, options: AdviseOptions = {}): Promise<AdviseReport> {
  const started = new Date();
  const log = options.log ?? (() => {});
  // Values are data: plan conditions quote them ('...'), shown only with --show-values.
  const redact = (text: string) => (options.showValues ? text : text.replace(/'(?:[^']|'')*'/g, "'…'"));
  const { num, version } = await serverVersionNum(sql);
  if (num < MIN_SERVER_VERSION_NUM) throw new UserError(`${target.display} runs PostgreSQL ${version}; advise needs 15 or newer.`, EXIT.notReady);
  // Experiments first: a refused --validate fails in the first second.
  let experiments = "not allowed (the database is not marked scratch/development; --yes allows it)";
  let mayExperiment = false;
  if (options.validate) {
    experiments = `allowed (${await assertMayExperiment(sql, target, options.yes ?? false, "advise --validate builds and drops indexes")})`;
    mayExperiment = true;
  } else {
    try {
      experiments = `allowed (${await assertMayExperiment(sql, target, options.yes ?? false, "advise builds and drops indexes")})`;
      mayExperiment = true;
    } catch {
      mayExperiment = false;
    }
  }

  let statements: WorkloadStatement[];
  let workload: string;
  let leftOut: WorkloadSelection["leftOut"] | undefined;
  if (options.catalog) {
    statements = await catalogWorkload(sql, options.catalog, options.filter ?? {});
    workload = `catalog ${options.catalogSource ?? ""} (${statements.length} entries)`.replace("  ", " ");
  } else {
    const status = await checkPgStatStatements(sql);
    if (!status.ok) throw new UserError(`${describeStatStatementsProblem(status)} (advise reads the workload from it; or pass --catalog)`, EXIT.notReady);
    const selection = await selectWorkload(sql, options.filter ?? {});
    statements = selection.statements;
    leftOut = selection.leftOut;
    workload = `pg_stat_statements, top ${statements.length} by total time (left out: ${leftOut.own} of the project's own, ${leftOut.notIndexable} utility/insert-only, ${leftOut.sideEffects} calling a function with side effects, ${leftOut.excluded} by --exclude)`;
  }
  log(`advise: ${statements.length} statement(s) from ${workload}`);
  const schema = await readSchema(sql);
  // --- values the app sent (server log), then one sample per statement ---
  const { values: logged, origin: valueLog } = await workloadLogValues(sql, options);
  log(`advise: values: ${valueLog}`);
  const samples = new Map<string, StatementSample>();
  for (const s of statements) samples.set(s.id, await buildSample(sql, s, schema, logged));

  const plans: StatementPlan[] = [];
  const problemsOf = new Map<string, Problem[]>();
  const all: Candidate[] = [];
  for (const s of statements) {
    const plan = await planStatement(sql, s, schema, num, { runs: options.runs, sample: samples.get(s.id) });
    plans.push(plan);
    const problems = findProblems(plan, schema, { largeTableRows: options.largeTableRows });
    problemsOf.set(s.id, problems);
    all.push(...candidatesForProblems(plan, problems, schema));
  }
  const { candidates, served } = consolidateCandidates(all, schema);

  const validations = new Map<string, Validation>();
  if (options.validate && candidates.length > 0) {
    for (const v of await validateCandidates(sql, candidates, plans, { runs: options.runs, log, schema })) validations.set(v.candidate.name, v);
  }

  let overlapsMeasured: IndexOverlap[] = [];
  let overlapsSkipped: string | undefined;
  if (options.overlaps === false) overlapsSkipped = "not requested";
  else if (!mayExperiment) overlapsSkipped = "hiding an index (DROP INDEX in a rolled-back transaction) locks its table: only on a scratch/development database, or with --yes";
  else overlapsMeasured = await measureOverlaps(sql, plans, schema, { runs: options.runs, log, ...(options.seqScanRows !== undefined ? { seqScanRows: options.seqScanRows } : {}) });

  // Rewrites where no index helps (and suffix matches, where a reverse() index beats trigram), measured where experiments are allowed.
  const structural: StructuralFix[] = [];
  const fixOf = new Map<string, StructuralFix>();
  const parents = await readForeignKeys(sql);
  for (const p of plans) {
    const problems = problemsOf.get(p.statement.id) ?? [];
    const mine = candidates.some((c) => c.statements.includes(p.statement.id));
    const servedMine = served.some((s) => s.candidate.statements.includes(p.statement.id));
    let fix = structuralFix(p, problems, schema, parents, { hasIndexCandidate: mine || servedMine }) ?? (problems.length > 0 ? suffixMatchFix(p, schema) : null);
    if (fix?.rewrite && mayExperiment) {
      log(`advise: measuring the rewrite of ${p.statement.id}`);
      fix = await measureRewrite(sql, p, fix, { runs: options.runs });
    }
    if (fix) {
      structural.push(fix);
      fixOf.set(p.statement.id, fix);
    }
  }
  const statementReports: StatementReport[] = plans.map((p) => {
    const problems = problemsOf.get(p.statement.id) ?? [];
    const mine = candidates.filter((c) => c.statements.includes(p.statement.id)).map((c) => c.name);
    const fix = fixOf.get(p.statement.id) ?? null;
    return {
      id: p.statement.id,
      source: p.statement.source,
      query: p.sample.sql,
      calls: p.statement.calls,
      totalMs: p.statement.totalMs,
      meanMs: p.statement.meanMs,
      params: options.showValues ? p.params : null,
      paramSources: p.paramSources,
      genericPlan: summarizePlan(p.generic),
      ...(p.genericSkipped ? { genericSkipped: p.genericSkipped } : {}),
      plan: summarizePlan(p.timing?.plan ?? null),
      medianMs: p.timing ? round(p.timing.medianMs) : null,
      ...(p.skipped ? { skipped: p.skipped } : {}),
      values: {
        source: p.sample.source,
        representative: p.sample.representative,
        rowsPerCall: p.sample.rowsPerCall,
        plannableSql: p.sample.plannableSql,
        notes: p.sample.notes,
        ...(p.estimatedOnly ? { estimatedOnly: p.estimatedOnly } : {}),
        ...(options.showValues ? { sets: p.sample.valueSets } : {}),
      },
      problems: problems.map((x) => ({ kind: x.kind, table: x.table, detail: redact(x.detail) })),
      candidates: mine,
      structural: fix,
    };
  });

  const before = (ids: readonly string[]) => plans.filter((p) => ids.includes(p.statement.id) && p.timing).map((p) => ({ statement: p.statement.id, ms: round(p.timing!.medianMs) }));
  // Validated candidates in their rank (net time saved per hour), the others after them.
  const rank = [...validations.keys()];
  const ranked = [...candidates].sort((a, b) => (rank.includes(a.name) ? rank.indexOf(a.name) : Infinity) - (rank.includes(b.name) ? rank.indexOf(b.name) : Infinity));
  const candidateReports: CandidateReport[] = ranked.map((c) => {
    const v = validations.get(c.name);
    return {
      name: c.name,
      table: c.table,
      kind: c.kind,
      definition: c.definition,
      statements: c.statements,
      reason: redact(c.reason),
      ...(c.replaces ? { replaces: c.replaces } : {}),
      ...(c.requires ? { requires: c.requires } : {}),
      validated: v !== undefined,
      accepted: v ? v.accepted : null,
      beforeMs: before(c.statements),
      afterMs: v ? v.effects.map((e) => ({ statement: e.statement, ms: round(e.afterMs), usesIndex: e.usesIndex })) : null,
      bytes: v ? v.bytes : null,
      buildMs: v ? v.buildMs : null,
      writeOverhead: v ? v.writeOverhead.summary : null,
      writeCost: v?.writeCost ?? null,
      weighing: v?.weighing ?? null,
      verdict: v ? v.verdict : "not validated (run with --validate to build and measure it)",
    };
  });
  return {
    database: target.display,
    serverVersion: version,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    workload,
    ...(leftOut ? { leftOut } : {}),
    valueLog,
    experiments,
    statements: statementReports,
    candidates: candidateReports,
    alreadyServed: served.map((s) => ({ table: s.candidate.table, definition: s.candidate.definition, by: s.by, statements: s.candidate.statements })),
    redundant: overlapsMeasured.filter((o) => o.redundant),
    overlapsMeasured,
    ...(overlapsSkipped ? { overlapsSkipped } : {}),
    structural,
  };
}

/** Connect (exit 3 when unreachable), advise, close. */
export async function adviseTarget(target: DatabaseTarget, options: AdviseOptions = {}): Promise<AdviseReport> {
  return withSql(target, (sql) => adviseDatabase(sql, target, options), { max: 1, applicationName: "bollalabz-db/advise", settings: options.sessionSettings });
}

const round = (x: number) => Math.round(x * 1000) / 1000;
export { indexesInPlan };

export type OverlapReport = { readonly measured: readonly IndexOverlap[]; readonly redundant: readonly IndexOverlap[]; readonly workload: string } | { readonly skipped: string };

/**
 * The overlap measurement alone, on the pg_stat_statements workload (for
 * `npm run maintenance`): only where experiments are allowed (a database
 * marked scratch/development, or `yes`).
 */
export async function measureWorkloadOverlaps(sql: Sql, options: { readonly yes?: boolean; readonly filter?: StatementFilter; readonly runs?: number; readonly seqScanRows?: number; readonly log?: (line: string) => void } = {}): Promise<OverlapReport> {
  const mark = await currentDatabaseMark(sql);
  if (!mark && !options.yes) return { skipped: "the database is not marked scratch/development: hiding an index locks its table (run it on a copy, or add --yes)" };
  const status = await checkPgStatStatements(sql);
  if (!status.ok) return { skipped: describeStatStatementsProblem(status) };
  const statements = await topWorkloadStatements(sql, options.filter ?? {});
  if (statements.length === 0) return { skipped: "pg_stat_statements holds no application statement yet" };
  const { num } = await serverVersionNum(sql);
  const schema = await readSchema(sql);
  const plans: StatementPlan[] = [];
  for (const s of statements) plans.push(await planStatement(sql, s, schema, num, { runs: options.runs }));
  const measured = await measureOverlaps(sql, plans, schema, { runs: options.runs, log: options.log, ...(options.seqScanRows !== undefined ? { seqScanRows: options.seqScanRows } : {}) });
  return { measured, redundant: measured.filter((o) => o.redundant), workload: `pg_stat_statements, top ${statements.length} by total time` };
}

/**
 * The values the app sent: --log FILE, else the server's own log read over
 * SQL (the embedded server logs statements with their parameters, see
 * src/settings/server-settings.ts); none when neither is there (then values
 * are inferred), and the report says why.
 */
async function workloadLogValues(sql: Sql, options: AdviseOptions): Promise<{ values?: LoggedValues; origin: string }> {
  const [db] = await sql<{ name: string }[]>`SELECT current_database() AS name /* bollalabz-db */`;
  if (options.logFile) {
    const statements = readLogFile(options.logFile);
    return { values: await loggedValues(statements, db!.name, `--log ${options.logFile}`), origin: `--log ${options.logFile} (${statements.length} logged statement(s))` };
  }
  if (options.serverLog === false || options.catalog) return { origin: "not read" };
  const read = await readServerLogOverSql(sql);
  if ("unavailable" in read) return { origin: `none from the server's log: ${read.unavailable}` };
  return { values: await loggedValues(read.statements, db!.name, "the server's log"), origin: `the server's log (${read.files.length} file(s), ${read.statements.length} logged statement(s))` };
}
