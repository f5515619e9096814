// What advise knows about one workload statement before it plans anything:
// the text made plannable, the type of each parameter, and several sets of
// representative values with where they came from. statements.ts and
// parameters.ts (with the log reader and the value inference) produce it;
// candidates, validation and the overlap check (validate.ts, redundancy.ts)
// re-time statements with its value sets. Values are data: reports show
// `source` and `representative`, the values themselves only with --show-values.

/**
 * Where the values came from, best first:
 * - "log": the server's statement log (`DETAIL: parameters: $1 = ...`), what the app really sent;
 * - "monitor": the project's pool monitor's bounded sample of bind parameters;
 * - "catalog": a catalog entry's parameter picker (verify's catalog as the workload);
 * - "inferred": chosen from the data (pg_stats, the table itself, the parameter's context), jointly checked against rowsPerCall;
 * - "generic": no values; only EXPLAIN (GENERIC_PLAN) (PostgreSQL 16+) or nothing at all.
 */
export type ValueSource = "log" | "monitor" | "catalog" | "inferred" | "generic";

/** Do the values reproduce what the workload saw (pg_stat_statements rows / calls)? */
export type Representativeness =
  | { readonly verdict: "representative"; readonly rowsPerCall: number; readonly rows: number }
  /** "measured with unrepresentative values": no candidate may be accepted on this measurement. */
  | { readonly verdict: "unrepresentative"; readonly rowsPerCall: number; readonly rows: number; readonly reason: string }
  /** Nothing to compare with (a catalog entry, a write, no values), or not run. */
  | { readonly verdict: "unchecked"; readonly reason: string };

/** How one parameter got its type and values (value-free: safe to print). */
export interface ParameterNote {
  /** 1 for $1. */
  readonly n: number;
  /** e.g. "LIMIT", "interval", "date arithmetic", "compared with contacts.status", "= ANY(array of contacts.id)". */
  readonly context: string;
  readonly type: string | null;
  /** Where its values came from, in words ("pg_stats most common values", "the log", ...). */
  readonly from: string;
}

export interface StatementSample {
  /** queryid (pg_stat_statements) or catalog entry[:variant]; the statement's id everywhere in the report. */
  readonly id: string;
  /** The text as the workload holds it: pg_stat_statements' normalized text ($n for every constant), or the catalog SQL. */
  readonly sql: string;
  /**
   * The same statement made plannable: typed-literal parameters rewritten
   * (`interval $1` -> `$1::interval`) and each $n cast to the type its context
   * gives it (`current_date - $1::integer`, `LIMIT $2::bigint`). Plan and time
   * THIS text with a value set as its parameters ($1..$n, same numbering as sql).
   */
  readonly plannableSql: string;
  /** Type per parameter, index 0 for $1 (null: the context gives none). */
  readonly paramTypes: readonly (string | null)[];
  /**
   * Representative value sets, the most representative first; each holds one
   * value per parameter in PostgreSQL's text form (arrays as '{a,b}'), or null.
   * Pass one as the parameters of plannableSql (postgres.js `sql.unsafe(plannableSql, set, { prepare: false })`).
   * Empty when source is "generic".
   */
  readonly valueSets: readonly (readonly (string | null)[])[];
  readonly source: ValueSource;
  /** pg_stat_statements rows / calls: what one call returned on average (null for a catalog entry). */
  readonly rowsPerCall: number | null;
  /** Checked on valueSets[0]; "unrepresentative" means: do not accept a candidate on it. */
  readonly representative: Representativeness;
  readonly parameters: readonly ParameterNote[];
  /** Why some parameter has no value (then source is "generic"), or other caveats; value-free. */
  readonly notes: readonly string[];
}

/** May a candidate be accepted on measurements made with this sample's values? */
export function measurable(sample: StatementSample): boolean {
  return sample.valueSets.length > 0 && sample.representative.verdict !== "unrepresentative";
}

export const UNREPRESENTATIVE = "measured with unrepresentative values";
