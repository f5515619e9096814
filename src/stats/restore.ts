// Restoring a statistics file onto a database whose schema matches it, with
// PostgreSQL 18's pg_restore_relation_stats / pg_restore_attribute_stats.
//
// Everything is checked before anything is written: server version (18+),
// every table and column of the file present here with the same type, and
// MAINTAIN (or ownership) on every table. Then one transaction restores it
// all, so a failure leaves the statistics as they were. The functions do not
// fail on a value they cannot use: they emit a WARNING and return false, or
// skip that one statistic. Those warnings are collected per relation and
// column and reported as the server's refusals.
import type postgres from "postgres";
import { EXIT, UserError } from "../base/errors.ts";
import { quoteIdent, type Sql } from "../db/index.ts";
import type { ColumnStatistics, RelationStatistics, StatsFile } from "./format.ts";

export const MIN_RESTORE_VERSION_NUM = 180000;

/** Collects the server's notices; `take()` returns those since the last call. */
export function noticeCollector(): { onNotice: (notice: postgres.Notice) => void; take: () => string[] } {
  let pending: string[] = [];
  return {
    onNotice: (notice) => {
      if (notice.severity === "WARNING" || notice.severity === "NOTICE") pending.push(`${notice.message}${notice.detail ? ` (${notice.detail})` : ""}`);
    },
    take: () => {
      const taken = pending;
      pending = [];
      return taken;
    },
  };
}

interface LiveColumn {
  relation: string;
  kind: "table" | "index";
  column: string;
  attnum: number;
  type: string;
  expression: boolean;
}

export interface RestorePlan {
  /** Tables (and indexes present here) whose statistics will be restored. */
  readonly relations: readonly RelationStatistics[];
  /** Indexes of the file this database does not have, tables here without statistics in the file, extended statistics. */
  readonly notes: readonly string[];
  /** Tables the role owns: their autovacuum can be switched off for the run. */
  readonly owned: readonly string[];
}

/**
 * Check the server and the schema against the file. Every mismatch is one
 * line of the UserError (exit 2), and nothing has been written.
 */
/** The server can restore statistics (PostgreSQL 18+), else one UserError (exit 2) naming its version. */
export async function assertCanRestore(sql: Sql, where: string): Promise<void> {
  const [server] = await sql<{ num: number; version: string }[]>`
    SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`;
  if (server!.num < MIN_RESTORE_VERSION_NUM) {
    throw new UserError(
      `${where} runs PostgreSQL ${server!.version}; restoring a statistics file needs PostgreSQL 18 or newer (pg_restore_relation_stats, pg_restore_attribute_stats). ` +
        "Build the twin on a PostgreSQL 18 server (the embedded server is 18), then run verify --stats there.",
      EXIT.usage,
    );
  }
}

export async function planRestore(sql: Sql, file: StatsFile, where: string): Promise<RestorePlan> {
  await assertCanRestore(sql, where);
  const live = await sql<LiveColumn[]>`
    SELECT c.relname AS relation, CASE WHEN c.relkind = 'i' THEN 'index' ELSE 'table' END AS kind, a.attname AS column, a.attnum,
           format_type(a.atttypid, a.atttypmod) AS type, (c.relkind = 'i' AND a.attnum IS NOT NULL AND ix.indkey[a.attnum - 1] = 0) AS expression
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_index ix ON ix.indexrelid = c.oid
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = ${file.schema} AND c.relkind IN ('r', 'p', 'm', 'i')`;
  const relationsHere = new Map<string, "table" | "index">(live.map((l) => [l.relation, l.kind]));
  const columnsHere = new Map(live.filter((l) => l.column !== null).map((l) => [`${l.relation}.${l.column}`, l]));

  const mismatches: string[] = [];
  const notes: string[] = [];
  const relations: RelationStatistics[] = [];
  for (const rel of file.relations) {
    const here = relationsHere.get(rel.name);
    if (rel.kind === "table") {
      if (here !== "table") {
        mismatches.push(`table ${file.schema}.${rel.name} is in the file but not in ${where}`);
        continue;
      }
      for (const c of rel.columns) {
        const col = columnsHere.get(`${rel.name}.${c.column}`);
        if (!col) mismatches.push(`column ${rel.name}.${c.column} (${c.type}) is in the file but not in ${where}`);
        else if (col.type !== c.type) mismatches.push(`column ${rel.name}.${c.column} is ${c.type} in the file but ${col.type} in ${where}`);
      }
      relations.push(rel);
    } else if (here === "index") {
      relations.push(rel);
    } else {
      // Index sets differ on purpose (verify a migration that adds or drops one).
      notes.push(`index ${rel.name}: in the file, not here: its statistics are not restored`);
    }
  }
  if (mismatches.length > 0) {
    throw new UserError(
      `the statistics file does not match the schema of ${where} (nothing was restored):\n  ${mismatches.join("\n  ")}\n` +
        `Export the statistics of the database whose schema this one has (npm run migrate brings it to the same migrations), or verify against a database migrated like the one exported.`,
      EXIT.usage,
    );
  }
  const inFile = new Set(file.relations.map((r) => r.name));
  for (const [name, kind] of relationsHere) {
    if (!inFile.has(name)) notes.push(`${kind} ${name}: here, not in the file: keeps this database's own statistics${kind === "index" ? " (a new index)" : ""}`);
  }

  const tables = relations.filter((r) => r.kind === "table").map((r) => r.name);
  const rights = await sql<{ name: string; maintain: boolean; owner: boolean }[]>`
    SELECT c.relname AS name, has_table_privilege(c.oid, 'MAINTAIN') AS maintain, pg_has_role(c.relowner, 'USAGE') AS owner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${file.schema} AND c.relname = ANY(${tables}) AND c.relkind IN ('r', 'p', 'm')`;
  const denied = rights.filter((r) => !r.maintain).map((r) => r.name);
  if (denied.length > 0) {
    throw new UserError(
      `${where}: the role has no MAINTAIN privilege on ${denied.join(", ")}; restoring statistics needs it (or ownership), nothing was restored. ` +
        `Run as the tables' owner, or GRANT MAINTAIN ON ${denied.map((d) => `${file.schema}.${d}`).join(", ")} TO <role>.`,
      EXIT.notReady,
    );
  }
  return { relations, notes, owned: rights.filter((r) => r.owner).map((r) => r.name) };
}

export interface RestoreResult {
  /** Relations whose pg_class statistics were restored (relpages, reltuples, relallvisible, relallfrozen). */
  readonly relations: readonly string[];
  /** Column statistics restored, as relation.column. */
  readonly columns: readonly string[];
  /** What the server refused: the item and its warning. */
  readonly refusals: readonly { readonly item: string; readonly message: string }[];
  readonly ms: number;
}

type Arg = readonly [name: string, value: unknown, type: string];

/** The keyword arguments pg_restore_attribute_stats gets for a column; pairs only when both halves exist. */
export function attributeArgs(schema: string, rel: RelationStatistics, c: ColumnStatistics): Arg[] {
  const args: Arg[] = [["schemaname", schema, "text"], ["relname", rel.name, "text"]];
  // Index columns are addressed by number (their names are generated), table columns by name.
  args.push(rel.kind === "index" ? ["attnum", c.attnum, "smallint"] : ["attname", c.column, "text"]);
  args.push(["inherited", c.inherited, "boolean"]);
  const add = (name: string, value: unknown, type: string) => {
    if (value !== null && value !== undefined) args.push([name, value, type]);
  };
  add("null_frac", c.nullFrac, "real");
  add("avg_width", c.avgWidth, "integer");
  add("n_distinct", c.nDistinct, "real");
  add("correlation", c.correlation, "real");
  add("histogram_bounds", c.histogramBounds, "text");
  if (c.mostCommonVals != null && c.mostCommonFreqs != null) {
    add("most_common_vals", c.mostCommonVals, "text");
    add("most_common_freqs", c.mostCommonFreqs, "real[]");
  }
  if (c.mostCommonElems != null && c.mostCommonElemFreqs != null) {
    add("most_common_elems", c.mostCommonElems, "text");
    add("most_common_elem_freqs", c.mostCommonElemFreqs, "real[]");
  }
  add("elem_count_histogram", c.elemCountHistogram, "real[]");
  if (c.rangeLengthHistogram != null && c.rangeEmptyFrac != null) {
    add("range_length_histogram", c.rangeLengthHistogram, "text");
    add("range_empty_frac", c.rangeEmptyFrac, "real");
  }
  add("range_bounds_histogram", c.rangeBoundsHistogram, "text");
  return args;
}

function relationArgs(schema: string, rel: RelationStatistics): Arg[] {
  const args: Arg[] = [
    ["schemaname", schema, "text"], ["relname", rel.name, "text"],
    ["relpages", rel.relpages, "integer"], ["reltuples", rel.reltuples, "real"], ["relallvisible", rel.relallvisible, "integer"],
  ];
  if (rel.relallfrozen !== null && rel.relallfrozen !== undefined) args.push(["relallfrozen", rel.relallfrozen, "integer"]);
  return args;
}

/** SELECT fn('name', $1::type, ...) AS ok with its parameters (values travel as parameters, never in the text). */
function call(fn: string, args: readonly Arg[]): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const list = args.map(([name, value, type]) => {
    params.push(Array.isArray(value) ? `{${value.join(",")}}` : value);
    return `'${name}', $${params.length}::${type}`;
  });
  return { text: `SELECT ${fn}(${list.join(", ")}) AS ok`, params };
}

/**
 * Restore the planned relations' statistics in ONE transaction, with
 * autovacuum switched off on the tables the role owns (so no auto-ANALYZE
 * replaces them during the run; undo with restoreAutovacuum). `notices` must
 * be the collector wired to this client's onNotice.
 */
export async function restoreStatistics(sql: Sql, file: StatsFile, plan: RestorePlan, notices: { take: () => string[] }): Promise<RestoreResult & { autovacuum: AutovacuumState }> {
  const started = performance.now();
  const relations: string[] = [];
  const columns: string[] = [];
  const refusals: { item: string; message: string }[] = [];
  let autovacuum: AutovacuumState = { disabled: [], previous: {}, notOwned: [] };
  await sql.begin(async (tx) => {
    const txSql = tx as unknown as Sql;
    autovacuum = await disableAutovacuum(txSql, file.schema, plan);
    notices.take();
    const run = async (item: string, fn: string, args: readonly Arg[]) => {
      const { text, params } = call(fn, args);
      const [row] = await txSql.unsafe<{ ok: boolean | null }[]>(text, params as never[]);
      const warnings = notices.take();
      for (const message of warnings) refusals.push({ item, message });
      if (row?.ok === false && warnings.length === 0) refusals.push({ item, message: `${fn} returned false` });
      return row?.ok === true;
    };
    for (const rel of plan.relations) {
      if (await run(rel.name, "pg_restore_relation_stats", relationArgs(file.schema, rel))) relations.push(rel.name);
      for (const c of rel.columns) {
        // pg_restore_attribute_stats keeps every statistic it is not given:
        // without the clear, a --no-values file would leave the twin's own
        // most-common values and histogram (from an earlier ANALYZE) beside
        // production's fractions. Table columns only: their names were
        // checked against this schema (an index column's name is generated).
        if (rel.kind === "table") await txSql.unsafe(`SELECT pg_clear_attribute_stats($1::text, $2::text, $3::text, $4::boolean)`, [file.schema, rel.name, c.column, c.inherited]);
        if (await run(`${rel.name}.${c.column}`, "pg_restore_attribute_stats", attributeArgs(file.schema, rel, c))) columns.push(`${rel.name}.${c.column}`);
      }
    }
  });
  return { relations, columns, refusals, ms: performance.now() - started, autovacuum };
}

export interface AutovacuumState {
  readonly disabled: readonly string[];
  /** The autovacuum_enabled reloption each table had before (null: not set). */
  readonly previous: Readonly<Record<string, string | null>>;
  /** Tables the role does not own: ALTER TABLE is refused, so autovacuum stays as it is there. */
  readonly notOwned: readonly string[];
}

async function disableAutovacuum(sql: Sql, schema: string, plan: RestorePlan): Promise<AutovacuumState> {
  const tables = plan.relations.filter((r) => r.kind === "table").map((r) => r.name);
  const owned = tables.filter((t) => plan.owned.includes(t));
  const rows = await sql<{ name: string; setting: string | null }[]>`
    SELECT c.relname AS name, (SELECT split_part(o, '=', 2) FROM unnest(c.reloptions) o WHERE o LIKE 'autovacuum_enabled=%') AS setting
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND c.relname = ANY(${owned})`;
  const previous = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  for (const t of owned) await sql.unsafe(`ALTER TABLE ${quoteIdent(schema)}.${quoteIdent(t)} SET (autovacuum_enabled = false)`);
  return { disabled: owned, previous, notOwned: tables.filter((t) => !owned.includes(t)) };
}

/** Put autovacuum back as it was before restoreStatistics. */
export async function restoreAutovacuum(sql: Sql, schema: string, state: AutovacuumState): Promise<void> {
  for (const t of state.disabled) {
    const before = state.previous[t];
    await sql.unsafe(`ALTER TABLE ${quoteIdent(schema)}.${quoteIdent(t)} ${before == null ? "RESET (autovacuum_enabled)" : `SET (autovacuum_enabled = ${before === "false" ? "false" : "true"})`}`);
  }
}
