// One StatementSample per workload statement: the plannable text and its
// parameter types (parameter-contexts.ts), then values in the order:
// the server log (what the app sent), the pool monitor's sample of the bind
// parameters it saw (monitor-values.ts), a catalog entry's picker, values
// inferred jointly from the data; none ("generic") when a parameter has no
// context to take a value from.
import { fingerprintOf, type LoggedStatement, loggedValueSets, type LoggedValueSets } from "./server-log.ts";
import { COLLAPSED_LIST, plannableStatement } from "./parameter-contexts.ts";
import type { Sql } from "../db/index.ts";
import type { ParameterNote, Representativeness, StatementSample } from "./samples.ts";
import type { SchemaInfo } from "./schema.ts";
import type { WorkloadStatement } from "./statements.ts";
import { actualRows, chooseValuesJointly, judgeRows, VALUE_SETS } from "./value-inference.ts";

/** Logged value sets handed on per statement (the slowest calls first). */
export const LOGGED_VALUE_SETS = 5;

export interface LoggedValues {
  /** Value sets by fingerprint (server-log.ts loggedValueSets). */
  readonly sets: LoggedValueSets;
  /** "log": the server's statement log; "monitor": the pool monitor's sample. */
  readonly source: "log" | "monitor";
  /** Where they came from, for the report ("--log FILE", "the server's log (2 files)", "the pool monitor (12 statements)"). */
  readonly origin: string;
}

export async function loggedValues(statements: readonly LoggedStatement[], database: string | null, origin: string, source: LoggedValues["source"] = "log"): Promise<LoggedValues> {
  return { sets: await loggedValueSets(statements, database), source, origin };
}

/** The app's value sets for a statement from the first source that has them (log, then monitor). */
async function appValueSets(query: string, sources: readonly LoggedValues[], params: number): Promise<{ sets: (string | null)[][]; from: LoggedValues } | null> {
  if (params === 0 || sources.length === 0) return null;
  const fp = await fingerprintOf(query);
  if (!fp) return null;
  const collapsed = query.includes(COLLAPSED_LIST);
  for (const from of sources) {
    const sets = (collapsed ? from.sets.collapsedByFingerprint : from.sets.byFingerprint).get(fp);
    if (sets && sets.length > 0 && sets.every((s) => s.length >= params)) return { sets, from };
  }
  return null;
}

const isWrite = (sql: string) => /^\s*(WITH\b[\s\S]*?\)\s*)?(INSERT|UPDATE|DELETE|MERGE)\b/i.test(sql);

const asText = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : Array.isArray(v) ? `{${v.map((x) => JSON.stringify(String(x))).join(",")}}` : typeof v === "object" ? JSON.stringify(v) : String(v));

export async function buildSample(sql: Sql, statement: WorkloadStatement, schema: SchemaInfo, logged: readonly LoggedValues[] = []): Promise<StatementSample> {
  const p = await plannableStatement(statement.query, schema);
  const paramTypes = p.params.map((x) => x.type);
  const rowsPerCall = statement.rowsPerCall ?? null;
  const write = isWrite(statement.query);
  const base = { id: statement.id, sql: statement.query, plannableSql: p.plannableSql, paramTypes, rowsPerCall };
  const notes: string[] = p.parseError ? [`the parser rejected the text (${p.parseError}); planned as it is`] : [];
  const parameters = (from: (n: number) => string): ParameterNote[] => p.params.map((x) => ({ n: x.n, context: x.context, type: x.type, from: from(x.n) }));

  if (statement.params) {
    return { ...base, valueSets: [statement.params.map(asText)], source: "catalog", representative: { verdict: "unchecked", reason: "a catalog entry (no rows per call to compare with)" }, parameters: parameters(() => "the catalog entry's picker"), notes };
  }
  const app = await appValueSets(statement.query, logged, p.params.length);
  if (app) {
    const { sets, from } = app;
    const valueSets = sets.slice(0, LOGGED_VALUE_SETS).map((s) => s.slice(0, p.params.length));
    let representative: Representativeness = { verdict: "unchecked", reason: write ? "a write: its rows were not counted" : "no rows per call" };
    if (rowsPerCall !== null && !write) {
      const rows = await actualRows(sql, p.plannableSql, valueSets[0]!);
      if (rows !== null) {
        const judged = judgeRows(rows, rowsPerCall);
        // The app's own values stay usable when they differ from the mean: the log holds the slow calls.
        representative = judged.verdict === "representative" ? judged : { verdict: "unchecked", reason: `the app's own values (the slowest logged call) return ${rows} rows, ${rowsPerCall.toFixed(1)} per call on average` };
      }
    }
    return { ...base, valueSets, source: from.source, representative, parameters: parameters(() => from.origin), notes: [...notes, `${sets.length} distinct value set(s) in ${from.origin}`] };
  }
  const choice = await chooseValuesJointly(sql, p.plannableSql, statement.query, p.params, schema, rowsPerCall, write);
  if (choice.missing.length > 0) {
    return {
      ...base,
      valueSets: [],
      source: "generic",
      representative: { verdict: "unchecked", reason: "no values" },
      parameters: parameters((n) => choice.from[n - 1] ?? ""),
      notes: [...notes, ...choice.missing.map((m) => `no value for $${m.n}: ${m.why}`)],
    };
  }
  return { ...base, valueSets: choice.valueSets.slice(0, VALUE_SETS), source: "inferred", representative: choice.representative, parameters: parameters((n) => choice.from[n - 1] ?? ""), notes };
}
