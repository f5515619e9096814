// The monitor's capture as one call (`npm run capture`, and every
// CAPTURE_INTERVAL in `npm run serve`): statement deltas every time, sizes
// once per UTC day, then history past its retention is pruned.
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { checkPgStatStatements, describeStatStatementsProblem } from "../checks/pg-stat-statements.ts";
import { MONITOR_SCHEMA } from "./monitor-schema.ts";
import { captureSpace, spaceCapturedOn, utcDay, type SpaceCaptureResult } from "./space-history.ts";
import { captureStatements, type StatementCaptureResult } from "./statement-capture.ts";
import { pruneParameterSamples, saveParameterSamples, type SampledStatement } from "./parameter-samples.ts";

/** PgHero's default: query stats for 14 days. */
export const STATEMENT_RETENTION_DAYS = 14;
/** Space stats for 90 days (growth over weeks stays visible). */
export const SPACE_RETENTION_DAYS = 90;
/** Statement deltas every 5 minutes (the issue; PgHero's capture_query_stats runs every 5 minutes too). */
export const CAPTURE_INTERVAL_MINUTES = 5;

export interface CaptureOptions {
  readonly statementRetentionDays?: number;
  readonly spaceRetentionDays?: number;
  /** Take the size snapshot even if today's exists (it replaces it). */
  readonly forceSpace?: boolean;
  /** The app pool's bind-parameter sample, stored for advise at each capture (npm run serve). */
  readonly parameterSamples?: { readonly applicationName: string; readonly read: () => SampledStatement[] };
}

export interface CaptureResult {
  /** null when pg_stat_statements is not usable (the reason is in `skipped`). */
  readonly statements: StatementCaptureResult | null;
  readonly space: SpaceCaptureResult | null;
  readonly pruned: { readonly captures: number; readonly sizeRows: number; readonly texts: number; readonly parameterSamples?: number };
  readonly skipped: readonly string[];
  /** Statements whose parameter sample was stored. */
  readonly parameterSamples?: number;
}

export async function runCapture(sql: Sql, options: CaptureOptions = {}): Promise<CaptureResult> {
  const skipped: string[] = [];
  const status = await checkPgStatStatements(sql);
  // "readable" failing still lets this role capture its own statements.
  const failed = status.steps.find((s) => !s.ok);
  let statements: StatementCaptureResult | null = null;
  if (failed && failed.step !== "readable") skipped.push(`statements: ${describeStatStatementsProblem(status)}`);
  else statements = await captureStatements(sql);
  const today = utcDay(new Date());
  const space = options.forceSpace || !(await spaceCapturedOn(sql, today)) ? await captureSpace(sql) : null;
  const sampled = options.parameterSamples ? await saveParameterSamples(sql, options.parameterSamples.applicationName, options.parameterSamples.read()) : undefined;
  const pruned = await pruneHistory(sql, options);
  return { statements, space, pruned, skipped, ...(sampled !== undefined ? { parameterSamples: sampled } : {}) };
}

/** Delete history past its retention; texts no delta refers to go too. */
export async function pruneHistory(sql: Sql, options: CaptureOptions = {}): Promise<CaptureResult["pruned"]> {
  const statementDays = options.statementRetentionDays ?? STATEMENT_RETENTION_DAYS;
  const spaceDays = options.spaceRetentionDays ?? SPACE_RETENTION_DAYS;
  const S = sql(MONITOR_SCHEMA);
  const captures = await sql`DELETE FROM ${S}.statement_captures WHERE captured_at < now() - make_interval(days => ${statementDays}::int)`;
  const sizeRows = await sql`DELETE FROM ${S}.relation_sizes WHERE captured_on < (now() AT TIME ZONE 'UTC')::date - ${spaceDays}::int`;
  await sql`DELETE FROM ${S}.space_captures WHERE captured_on < (now() AT TIME ZONE 'UTC')::date - ${spaceDays}::int`;
  const texts = captures.count === 0 ? { count: 0 } : await sql`
    DELETE FROM ${S}.statement_texts t WHERE NOT EXISTS (SELECT 1 FROM ${S}.statement_deltas d WHERE d.queryid = t.queryid)`;
  const parameterSamples = await pruneParameterSamples(sql, statementDays);
  return { captures: captures.count, sizeRows: sizeRows.count, texts: texts.count, parameterSamples };
}

export interface CaptureScheduleLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CaptureSchedule {
  /** Resolves when the capture in flight (if any) has finished. */
  stop(): Promise<void>;
  /** Capture now (skipped while one is in flight). */
  runNow(): Promise<CaptureResult | undefined>;
}

/**
 * Capture every `intervalMinutes` inside a long-running process. A failed
 * capture (database down, no privilege) is logged and retried at the next
 * tick; the process never stops for it. The first capture runs at once so the
 * baseline exists before the first interval ends.
 */
export function startCaptureSchedule(sql: Sql, intervalMinutes: number, logger: CaptureScheduleLogger, options: CaptureOptions = {}): CaptureSchedule {
  let inFlight: Promise<CaptureResult | undefined> | undefined;
  let lastProblem: string | undefined;
  const runNow = () => {
    if (inFlight) return inFlight;
    inFlight = runCapture(sql, options)
      .then((result) => {
        for (const reason of result.skipped) if (reason !== lastProblem) logger.warn({ reason }, "monitor capture skipped a part");
        lastProblem = result.skipped[0];
        logger.info({ statements: result.statements?.statements ?? null, durationMs: result.statements?.durationMs ?? null, space: result.space?.relations ?? null }, "monitor capture");
        return result;
      })
      .catch((error: unknown) => {
        const e = error as { code?: string; message?: string };
        // Message and code only: a database error never carries our parameters here, but stay terse.
        const problem = `${e.code ?? "ERROR"}: ${e.message ?? String(error)}`;
        if (problem !== lastProblem) logger.warn({ code: e.code, message: e.message }, "monitor capture failed; retrying at the next interval");
        lastProblem = problem;
        return undefined;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  const timer = setInterval(() => void runNow(), intervalMinutes * 60_000);
  timer.unref();
  void runNow();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
    runNow,
  };
}

/** `npm run capture` as a function: connect, capture once, close. */
export async function captureTarget(target: DatabaseTarget, options: CaptureOptions = {}): Promise<CaptureResult> {
  return withSql(target, (sql) => runCapture(sql, options), { max: 2, applicationName: "bollalabz-db/capture" });
}

/** One line per part, for a cron log. */
export function formatCaptureResult(result: CaptureResult): string {
  const lines: string[] = [];
  const s = result.statements;
  if (s) {
    lines.push(
      s.previousAt === null
        ? `statements: baseline recorded (first capture; deltas start with the next one) in ${s.durationMs} ms`
        : `statements: ${s.statements} changed since ${s.previousAt.toISOString()}${s.resetDetected ? " (pg_stat_statements was reset since: counted from the reset)" : ""} in ${s.durationMs} ms`,
    );
  }
  lines.push(result.space ? `sizes: ${result.space.relations} tables and indexes for ${result.space.day} in ${result.space.durationMs} ms` : "sizes: today's snapshot already taken");
  const p = result.pruned;
  if (p.captures + p.sizeRows + p.texts > 0) lines.push(`pruned: ${p.captures} captures, ${p.sizeRows} size rows, ${p.texts} statement texts past retention`);
  for (const reason of result.skipped) lines.push(`skipped ${reason}`);
  return lines.join("\n");
}
