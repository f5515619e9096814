// npm run advise, as a library function: workload -> plans -> problems ->
// candidate indexes (minus those already served) -> optionally proof by
// building them (--validate) -> indexes another index serves nearly as well.
import { EXIT, UserError } from "../base/errors.ts";
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { checkPgStatStatements, describeStatStatementsProblem } from "../checks/pg-stat-statements.ts";
import { MIN_SERVER_VERSION_NUM } from "../checks/preflight.ts";
import { candidatesForProblems, consolidateCandidates, type Candidate } from "./candidates.ts";
import type { AdviseOptions, AdviseReport, CandidateReport, StatementReport } from "./advise-types.ts";
import { indexesInPlan, planStatement, type StatementPlan } from "./plans.ts";
import { findProblems, type Problem } from "./problems.ts";
import { measureOverlaps, type IndexOverlap } from "./redundancy.ts";
import { readSchema, serverVersionNum, type SchemaInfo } from "./schema.ts";
import { catalogWorkload, selectWorkload, topWorkloadStatements, type StatementFilter, type WorkloadSelection, type WorkloadStatement } from "./statements.ts";
import { readLogFile, readServerLogOverSql } from "./server-log.ts";
import { buildSample, loggedValues, type LoggedValues } from "./workload-samples.ts";
import { measureRewrite, readForeignKeys, structuralFix, suffixMatchFix, type StructuralFix } from "./structural.ts";
import { assertMayExperiment, validateCandidates, type Validation } from "./validate.ts";
import { describeWriteRate, storeWriteCounters, writeRatesSincePreviousRun } from "./write-rates.ts";
import { currentDatabaseMark } from "../db/scratch-database.ts";
import { readParameterSamples } from "../observe/parameter-samples.ts";
export type { AdviseOptions, AdviseReport, CandidateReport, StatementReport } from "./advise-types.ts";

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
  const { num, version } = await serverVersionNum(sql);
  if (num < MIN_SERVER_VERSION_NUM) throw new UserError(`${target.display} runs PostgreSQL ${version}; advise needs 15 or newer.`, EXIT.notReady);
  // Experiments first: a refused --validate fails in the first second.
  const { experiments, mayExperiment } = await experimentsAllowed(sql, target, options);
  const { statements, workload, leftOut } = await readWorkload(sql, options);
  log(`advise: ${statements.length} statement(s) from ${workload}`);
  const schema = await readSchema(sql);
  // Write rates before this run writes anything (its rolled-back writes count in pg_stat_user_tables too).
  const writeRates = options.validate ? await writeRatesSincePreviousRun(sql) : undefined;
  const { sources, origin: valueLog } = await workloadValueSources(sql, options);
  log(`advise: values: ${valueLog}`);
  const { plans, problemsOf, candidates, served } = await planWorkload(sql, statements, schema, num, sources, options);
  const labels = new Map(statements.map((s) => [s.id, statementLabel(s)]));
  const validations = new Map<string, Validation>();
  if (options.validate && candidates.length > 0) {
    for (const v of await validateCandidates(sql, candidates, plans, { runs: options.runs, log, schema, writeRates, labelOf: (id) => labels.get(id) ?? id })) validations.set(v.candidate.name, v);
  }
  const overlaps = await overlapsOf(sql, plans, schema, mayExperiment, options);
  const structural = await rewritesWhereNoIndexHelps(sql, plans, problemsOf, candidates, served, schema, mayExperiment, options);
  const writeCountersNotStored = options.validate ? await storeWriteCounters(sql) : null;
  return {
    database: target.display,
    serverVersion: version,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    workload,
    ...(leftOut ? { leftOut } : {}),
    valueLog,
    ...(writeRates ? { writeRates: [...new Set(candidates.map((c) => c.table))].map((t) => describeWriteRate(t, writeRates.get(t) ?? { known: false, why: "no statistics for this table" })) } : {}),
    ...(writeCountersNotStored ? { writeCountersNotStored } : {}),
    experiments,
    statements: plans.map((p) => statementReport(p, problemsOf, candidates, structural.byStatement, labels, options)),
    candidates: candidateReports(candidates, plans, validations, options),
    alreadyServed: served.map((s) => ({ table: s.candidate.table, definition: s.candidate.definition, by: s.by, statements: s.candidate.statements })),
    redundant: overlaps.measured.filter((o) => o.redundant),
    overlapsMeasured: overlaps.measured,
    ...(overlaps.skipped ? { overlapsSkipped: overlaps.skipped } : {}),
    structural: structural.fixes,
  };
}

/** A readable name for a statement in verdicts: the catalog entry, else the start of its text. */
export function statementLabel(s: Pick<WorkloadStatement, "id" | "source" | "query">): string {
  if (s.source !== "pg_stat_statements") return s.id;
  const text = s.query.replace(/\s+/g, " ").trim();
  return `"${text.length > 60 ? `${text.slice(0, 59)}…` : text}"`;
}

/** Values are data, shown only with --show-values: plan conditions hold them quoted ('...') or as numbers compared with a column (owner_id = 3987123). */
const redactor = (options: AdviseOptions) => (text: string) =>
  options.showValues ? text : text.replace(/'(?:[^']|'')*'/g, "'…'").replace(/((?:[=<>]|<>|!=|<=|>=)\s*\(?)-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, "$1…");

async function experimentsAllowed(sql: Sql, target: Pick<DatabaseTarget, "display" | "source">, options: AdviseOptions): Promise<{ experiments: string; mayExperiment: boolean }> {
  if (options.validate) return { experiments: `allowed (${await assertMayExperiment(sql, target, options.yes ?? false, "advise --validate builds and drops indexes")})`, mayExperiment: true };
  try {
    return { experiments: `allowed (${await assertMayExperiment(sql, target, options.yes ?? false, "advise builds and drops indexes")})`, mayExperiment: true };
  } catch {
    return { experiments: "not allowed (the database is not marked scratch/development; --yes allows it)", mayExperiment: false };
  }
}

async function readWorkload(sql: Sql, options: AdviseOptions): Promise<{ statements: WorkloadStatement[]; workload: string; leftOut?: WorkloadSelection["leftOut"] }> {
  if (options.catalog) {
    const statements = await catalogWorkload(sql, options.catalog, options.filter ?? {});
    return { statements, workload: `catalog ${options.catalogSource ?? ""} (${statements.length} entries)`.replace("  ", " ") };
  }
  const status = await checkPgStatStatements(sql);
  if (!status.ok) throw new UserError(`${describeStatStatementsProblem(status)} (advise reads the workload from it; or pass --catalog)`, EXIT.notReady);
  const { statements, leftOut } = await selectWorkload(sql, options.filter ?? {});
  const workload = `pg_stat_statements, top ${statements.length} by total time (left out: ${leftOut.own} of the project's own, ${leftOut.notIndexable} utility/insert-only, ${leftOut.sideEffects} calling a function with side effects, ${leftOut.excluded} by --exclude)`;
  return { statements, workload, leftOut };
}

/** One sample per statement, its plans and problems, and the candidates (minus those already served). */
async function planWorkload(sql: Sql, statements: readonly WorkloadStatement[], schema: SchemaInfo, num: number, sources: readonly LoggedValues[], options: AdviseOptions) {
  const plans: StatementPlan[] = [];
  const problemsOf = new Map<string, Problem[]>();
  const all: Candidate[] = [];
  for (const s of statements) {
    const sample = await buildSample(sql, s, schema, sources);
    const plan = await planStatement(sql, s, schema, num, { runs: options.runs, sample });
    plans.push(plan);
    const problems = findProblems(plan, schema, { largeTableRows: options.largeTableRows });
    problemsOf.set(s.id, problems);
    all.push(...candidatesForProblems(plan, problems, schema));
  }
  return { plans, problemsOf, ...consolidateCandidates(all, schema) };
}

async function overlapsOf(sql: Sql, plans: readonly StatementPlan[], schema: SchemaInfo, mayExperiment: boolean, options: AdviseOptions): Promise<{ measured: IndexOverlap[]; skipped?: string }> {
  if (options.overlaps === false) return { measured: [], skipped: "not requested" };
  if (!mayExperiment) return { measured: [], skipped: "hiding an index (DROP INDEX in a rolled-back transaction) locks its table: only on a scratch/development database, or with --yes" };
  return { measured: await measureOverlaps(sql, plans, schema, { runs: options.runs, log: options.log, ...(options.seqScanRows !== undefined ? { seqScanRows: options.seqScanRows } : {}) }) };
}

/** Rewrites where no index helps (and suffix matches, where a reverse() index beats trigram), measured where experiments are allowed. */
async function rewritesWhereNoIndexHelps(sql: Sql, plans: readonly StatementPlan[], problemsOf: ReadonlyMap<string, Problem[]>, candidates: readonly Candidate[], served: ReturnType<typeof consolidateCandidates>["served"], schema: SchemaInfo, mayExperiment: boolean, options: AdviseOptions) {
  const fixes: StructuralFix[] = [];
  const byStatement = new Map<string, StructuralFix>();
  const parents = await readForeignKeys(sql);
  for (const p of plans) {
    const problems = problemsOf.get(p.statement.id) ?? [];
    const mine = candidates.some((c) => c.statements.includes(p.statement.id)) || served.some((s) => s.candidate.statements.includes(p.statement.id));
    let fix = structuralFix(p, problems, schema, parents, { hasIndexCandidate: mine }) ?? (problems.length > 0 ? suffixMatchFix(p, schema) : null);
    if (fix?.rewrite && mayExperiment) {
      options.log?.(`advise: measuring the rewrite of ${p.statement.id}`);
      fix = await measureRewrite(sql, p, fix, { runs: options.runs });
    }
    if (fix) {
      fixes.push(fix);
      byStatement.set(p.statement.id, fix);
    }
  }
  return { fixes, byStatement };
}

function statementReport(p: StatementPlan, problemsOf: ReadonlyMap<string, Problem[]>, candidates: readonly Candidate[], fixOf: ReadonlyMap<string, StructuralFix>, labels: ReadonlyMap<string, string>, options: AdviseOptions): StatementReport {
  const redact = redactor(options);
  return {
    id: p.statement.id,
    label: labels.get(p.statement.id) ?? p.statement.id,
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
    problems: (problemsOf.get(p.statement.id) ?? []).map((x) => ({ kind: x.kind, table: x.table, detail: redact(x.detail) })),
    candidates: candidates.filter((c) => c.statements.includes(p.statement.id)).map((c) => c.name),
    structural: fixOf.get(p.statement.id) ?? null,
  };
}

/** Validated candidates in their rank (net time saved per hour), the others after them. */
function candidateReports(candidates: readonly Candidate[], plans: readonly StatementPlan[], validations: ReadonlyMap<string, Validation>, options: AdviseOptions): CandidateReport[] {
  const redact = redactor(options);
  const planned = (ids: readonly string[]) => plans.filter((p) => ids.includes(p.statement.id) && p.timing).map((p) => ({ statement: p.statement.id, ms: round(p.timing!.medianMs) }));
  const rank = [...validations.keys()];
  const ranked = [...candidates].sort((a, b) => (rank.includes(a.name) ? rank.indexOf(a.name) : Infinity) - (rank.includes(b.name) ? rank.indexOf(b.name) : Infinity));
  return ranked.map((c) => {
    const v = validations.get(c.name);
    // Validated: per call, the mean over the value sets the verdict judged (the sums over them have the same ratio).
    const perCall = (e: Validation["effects"][number], ms: number) => round(ms / Math.max(e.valueSets, 1));
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
      beforeMs: v?.effects.length ? v.effects.map((e) => ({ statement: e.statement, ms: perCall(e, e.beforeMs) })) : planned(c.statements),
      afterMs: v ? v.effects.map((e) => ({ statement: e.statement, ms: perCall(e, e.afterMs), usesIndex: e.usesIndex, valueSets: e.valueSets })) : null,
      bytes: v ? v.bytes : null,
      buildMs: v ? v.buildMs : null,
      writeOverhead: v ? v.writeOverhead.summary : null,
      writeCost: v?.writeCost ?? null,
      weighing: v?.weighing ?? null,
      verdict: v ? v.verdict : "not validated (run with --validate to build and measure it)",
    };
  });
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
 * The values the app sent, in the issue's order: (a) the statement log,
 * --log FILE or else the server's own log read over SQL (the embedded server
 * logs statements with their parameters, src/settings/server-settings.ts);
 * (b) the pool monitor's sample in the monitor schema (src/observe/parameter-samples.ts).
 * None when neither has any (then values are inferred), and the report says why.
 */
async function workloadValueSources(sql: Sql, options: AdviseOptions): Promise<{ sources: LoggedValues[]; origin: string }> {
  const [db] = await sql<{ name: string }[]>`SELECT current_database() AS name /* bollalabz-db */`;
  const sources: LoggedValues[] = [];
  const origins: string[] = [];
  if (options.logFile) {
    const statements = readLogFile(options.logFile);
    sources.push(await loggedValues(statements, db!.name, `--log ${options.logFile}`));
    origins.push(`--log ${options.logFile} (${statements.length} logged statement(s))`);
  } else if (options.serverLog === false || options.catalog) origins.push("the server's log not read");
  else {
    const read = await readServerLogOverSql(sql);
    if ("unavailable" in read) origins.push(`none from the server's log: ${read.unavailable}`);
    else {
      sources.push(await loggedValues(read.statements, db!.name, "the server's log"));
      origins.push(`the server's log (${read.files.length} file(s), ${read.statements.length} logged statement(s))`);
    }
  }
  if (options.catalog || options.poolMonitor === false) return { sources, origin: origins.join("; ") };
  const sampled = await readParameterSamples(sql).catch(() => []);
  if (sampled.length === 0) origins.push("none from the pool monitor (no parameter sample stored in the monitor schema)");
  else {
    const statements = sampled.flatMap((s) => s.sets.map((set) => ({ sql: s.query, params: set.values, durationMs: set.durationMs, database: null })));
    const origin = `the pool monitor (${sampled.length} statement(s) sampled, the latest at ${sampled[0]!.sampledAt.toISOString()})`;
    sources.push(await loggedValues(statements, null, "the pool monitor", "monitor"));
    origins.push(origin);
  }
  return { sources, origin: origins.join("; ") };
}
