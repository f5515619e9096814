// The static layer of verify's guard: catalog SQL is parsed with PostgreSQL's
// own parser (libpg-query, the server's grammar compiled to WASM) and walked,
// so comments, quoting, dollar quotes and nesting cannot hide anything from
// the check. A catalog statement must be ONE SELECT / WITH / VALUES / TABLE
// that writes nothing (no data-modifying CTE, no SELECT INTO, no FOR UPDATE),
// and every function it calls must be a read-only built-in of the allow-list
// below: a read transaction is not a sandbox (pg_terminate_backend,
// replication slots, pg_stat_reset, pg_read_file and advisory locks all act
// outside it). The runtime layer (a least-privilege role,
// src/db/verify-reader-role.ts) holds even where this list is wrong.
import { loadModule, parseSync } from "libpg-query";

// Loaded once per process (a few ms); parseSync needs it.
await loadModule();

/**
 * Functions a catalog query may call, by group, with why the group is safe:
 * each computes a value from its arguments (or reads the clock), and none
 * signals a backend, takes a lock, writes, reads a file, changes a setting or
 * reaches another server. Trigram similarity operators (%, <%, <->) and
 * COALESCE, NULLIF, GREATEST, LEAST, CASE, EXTRACT's operators are syntax, not
 * function calls, and need no entry.
 */
export const READ_ONLY_FUNCTIONS: readonly { readonly group: string; readonly reason: string; readonly names: readonly string[] }[] = [
  {
    group: "aggregates",
    reason: "fold the rows of the query itself",
    names: ["count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "string_agg", "array_agg", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "percentile_cont", "percentile_disc", "mode", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "corr", "covar_pop", "covar_samp", "bit_and", "bit_or", "range_agg"],
  },
  {
    group: "window functions",
    reason: "rank and compare rows of the query itself",
    names: ["row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value", "last_value", "nth_value"],
  },
  {
    group: "string",
    reason: "pure functions of their text arguments",
    names: ["lower", "upper", "length", "char_length", "character_length", "octet_length", "substr", "substring", "left", "right", "trim", "btrim", "ltrim", "rtrim", "lpad", "rpad", "replace", "split_part", "strpos", "position", "concat", "concat_ws", "format", "initcap", "reverse", "repeat", "md5", "sha256", "regexp_replace", "regexp_match", "regexp_matches", "regexp_split_to_array", "regexp_split_to_table", "regexp_like", "regexp_count", "regexp_substr", "starts_with", "translate", "to_char", "to_number", "quote_ident", "quote_literal", "quote_nullable", "encode", "decode", "ascii", "chr", "overlay", "normalize", "string_to_array", "string_to_table", "num_nulls", "num_nonnulls"],
  },
  {
    group: "date and time",
    reason: "pure functions of their arguments, or read the clock",
    names: ["now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "date_trunc", "date_part", "extract", "age", "make_date", "make_time", "make_interval", "make_timestamp", "make_timestamptz", "to_timestamp", "to_date", "date_bin", "justify_days", "justify_hours", "justify_interval", "isfinite", "timezone", "generate_series"],
  },
  {
    group: "ranges",
    reason: "build and inspect range values",
    names: ["tstzrange", "tsrange", "daterange", "int4range", "int8range", "numrange", "isempty", "lower_inf", "upper_inf", "range_merge"],
  },
  {
    group: "math",
    reason: "pure functions of their numeric arguments (random() changes nothing but its own sequence)",
    names: ["abs", "ceil", "ceiling", "floor", "round", "trunc", "mod", "power", "pow", "sqrt", "cbrt", "exp", "ln", "log", "log10", "sign", "width_bucket", "div", "gcd", "lcm", "pi", "degrees", "radians", "random"],
  },
  {
    group: "json and jsonb",
    reason: "build, read and transform JSON values (jsonb_set returns a new value; it writes nothing)",
    names: ["jsonb_build_object", "jsonb_build_array", "json_build_object", "json_build_array", "to_json", "to_jsonb", "row_to_json", "array_to_json", "jsonb_array_length", "json_array_length", "jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements", "json_array_elements_text", "jsonb_each", "jsonb_each_text", "json_each", "json_each_text", "jsonb_object_keys", "json_object_keys", "jsonb_extract_path", "jsonb_extract_path_text", "json_extract_path", "json_extract_path_text", "jsonb_typeof", "json_typeof", "jsonb_path_query", "jsonb_path_exists", "jsonb_path_match", "jsonb_path_query_array", "jsonb_path_query_first", "jsonb_strip_nulls", "jsonb_pretty", "jsonb_set", "jsonb_insert", "jsonb_to_record", "jsonb_to_recordset"],
  },
  {
    group: "arrays",
    reason: "build and inspect array values",
    names: ["array_length", "cardinality", "unnest", "array_position", "array_positions", "array_remove", "array_append", "array_prepend", "array_cat", "array_to_string", "array_upper", "array_lower", "array_ndims", "array_dims", "array_replace"],
  },
  {
    group: "text search",
    reason: "build and rank text-search values",
    names: ["to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery", "ts_rank", "ts_rank_cd", "ts_headline", "setweight", "numnode", "querytree"],
  },
  {
    group: "trigram similarity (pg_trgm)",
    reason: "compare strings; the similarity operators (%, <%, <->) need no entry",
    names: ["similarity", "word_similarity", "strict_word_similarity", "show_trgm"],
  },
  {
    group: "sizes and identifiers",
    reason: "format a number or generate a value",
    names: ["pg_size_pretty", "gen_random_uuid"],
  },
];

const ALLOWED = new Map(READ_ONLY_FUNCTIONS.flatMap((g) => g.names.map((n) => [n, g.group] as const)));

/** Why a function a catalog may not call is refused: the well-known harmful ones by what they do, anything else as "not on the list". */
const KNOWN_HARMFUL: readonly [RegExp, string][] = [
  [/^pg_(terminate|cancel)_backend$/, "signals another session"],
  [/^pg_(create|drop|copy)_\w*replication_slot$|^pg_replication_slot_advance$|^pg_logical_slot_\w+$/, "creates, moves or consumes a replication slot (a slot holds WAL on the server for good)"],
  [/^pg_stat_(statements_)?reset|^pg_stat_reset/, "wipes the statistics counters verify and the monitor read"],
  [/^pg_(read_file|read_binary_file|ls_\w+|stat_file)$|^pg_file_\w+$/, "reads or lists files of the server"],
  [/^lo_/, "reads or writes large objects (lo_export writes a server file)"],
  [/^dblink|^postgres_fdw/, "opens a connection to a server, outside the read-only transaction"],
  [/^set_config$/, "changes a session setting (set_config('role', ...) could even leave the reader role)"],
  [/^pg_(try_)?advisory_/, "takes or releases an advisory lock (a session-level one outlives the transaction)"],
  [/^(txid_current|pg_current_xact_id|txid_current_if_assigned|pg_current_xact_id_if_assigned)$/, "assigns or reads a transaction id (assigning one consumes it)"],
  [/^(nextval|setval|currval|lastval)$/, "advances or reads a sequence (nextval is never rolled back)"],
  [/^pg_(reload_conf|rotate_logfile|switch_wal|promote|wal_replay_\w+|backup_\w+|create_restore_point|log_backend_memory_contexts)$/, "acts on the server"],
  [/^pg_(sleep|sleep_for|sleep_until)$/, "holds the connection and its snapshot"],
  [/^(pg_notify|pg_logical_emit_message)$/, "sends a message out of the transaction"],
  [/^(query_to_xml|query_to_xml_and_xmlschema|cursor_to_xml|table_to_xml|database_to_xml|schema_to_xml)\w*$/, "runs SQL text of its own, which no check would see"],
];

function describeFunction(name: string): string {
  const known = KNOWN_HARMFUL.find(([pattern]) => pattern.test(name));
  return known ? known[1] : "it is not on verify's list of read-only built-ins (src/catalog/read-only-sql.ts); rewrite the query without it";
}

type Node = Record<string, unknown>;

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((n) => String((n as { String?: { sval?: string } }).String?.sval ?? "")) : [];
}

/** Statements that write: anywhere in the tree (a data-modifying CTE) they make the query a write. */
const WRITE_STATEMENTS: Record<string, string> = { InsertStmt: "INSERT", UpdateStmt: "UPDATE", DeleteStmt: "DELETE", MergeStmt: "MERGE" };

/** Every problem of one statement's tree: calls outside the allow-list, and (unless `callsOnly`) writes and locks. */
function walk(node: unknown, problems: string[], callsOnly = false): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, problems, callsOnly);
    return;
  }
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node as Node)) {
    if (key === "FuncCall") {
      const qualified = names((value as Node).funcname);
      const name = qualified.at(-1)!.toLowerCase();
      const schema = qualified.length > 1 ? qualified[0]!.toLowerCase() : undefined;
      if (schema !== undefined && schema !== "pg_catalog") problems.push(`calls ${qualified.join(".")}(): only built-in functions are allowed (a function of schema ${schema} could do anything)`);
      else if (!ALLOWED.has(name)) problems.push(`calls ${qualified.join(".")}(): ${describeFunction(name)}`);
    } else if (key === "A_Expr") {
      const op = names((value as Node).name);
      if (op.length > 1 && op[0]!.toLowerCase() !== "pg_catalog") problems.push(`uses the operator OPERATOR(${op.join(".")}): only built-in operators are allowed`);
    } else if (callsOnly) {
      // Writes are the workload's own business here (see disallowedCalls).
    } else if (key in WRITE_STATEMENTS) {
      problems.push(`contains ${WRITE_STATEMENTS[key]} (a data-modifying WITH): verify runs the catalog read-only`);
    } else if (key === "intoClause") {
      problems.push("is SELECT ... INTO, which creates a table: verify runs the catalog read-only");
    } else if (key === "lockingClause") {
      problems.push("locks rows (FOR UPDATE / FOR SHARE), which blocks the app's writers: remove the locking clause");
    }
    walk(value, problems, callsOnly);
  }
}

const approved = new Map<string, readonly string[]>();

/**
 * Every reason `text` is not a single read-only query (empty when it is).
 * Shared by the catalog validation (exit 2, every problem listed, before
 * anything runs) and the run-time guard of each statement (cached: the timed
 * loop runs the same text many times).
 */
export function readOnlyQueryProblems(text: string): readonly string[] {
  const cached = approved.get(text);
  if (cached) return cached;
  let problems: string[];
  if (text.trim() === "") problems = ["is empty"];
  else {
    problems = [];
    try {
      const { stmts = [] } = parseSync(text);
      if (stmts.length === 0) problems.push("holds no statement (only comments?)");
      else if (stmts.length > 1) problems.push(`must be a single statement, found ${stmts.length}`);
      for (const raw of stmts) {
        const stmt = ((raw as { stmt?: Node }).stmt ?? {}) as Node;
        const kind = Object.keys(stmt)[0] ?? "nothing";
        if (kind !== "SelectStmt") problems.push(`must be a read query (SELECT, WITH, VALUES or TABLE), not ${statementWord(kind, stmt[kind] as Node)}: verify runs the catalog read-only`);
        else walk(raw.stmt, problems);
      }
    } catch (error) {
      problems.push(`is not valid PostgreSQL: ${(error as Error).message}`);
    }
  }
  const unique = [...new Set(problems)];
  if (approved.size > 10_000) approved.clear();
  approved.set(text, unique);
  return unique;
}

/** "VariableSetStmt" -> "SET", "TransactionStmt" -> "a transaction statement (COMMIT, ...)". */
function statementWord(kind: string, node: Node | undefined): string {
  // TRANS_STMT_COMMIT -> COMMIT
  if (kind === "TransactionStmt" && typeof node?.kind === "string") return node.kind.replace(/^TRANS_STMT_/, "").replace(/_/g, " ");
  const words: Record<string, string> = {
    VariableSetStmt: "SET",
    VariableShowStmt: "SHOW",
    CopyStmt: "COPY",
    InsertStmt: "INSERT",
    UpdateStmt: "UPDATE",
    DeleteStmt: "DELETE",
    MergeStmt: "MERGE",
    DoStmt: "DO",
    CallStmt: "CALL",
    ExplainStmt: "EXPLAIN",
  };
  return words[kind] ?? kind.replace(/Stmt$/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
}

/**
 * Only the function-call rule, for statements that may write (advise times a
 * workload's UPDATE/DELETE with EXPLAIN ANALYZE in a rolled-back
 * transaction, as the connecting role): a statement taken from
 * pg_stat_statements that calls pg_terminate_backend, pg_read_file, a
 * replication-slot function... is not re-run with other values. Normalized
 * text (`interval $1`, which PostgreSQL's grammar does not accept) is read as
 * `$1::interval`; text that still does not parse is refused.
 */
export function disallowedCalls(text: string): readonly string[] {
  const parse = (sqlText: string) => parseSync(sqlText).stmts ?? [];
  let stmts;
  try {
    stmts = parse(text);
  } catch {
    try {
      stmts = parse(text.replace(/\b(interval|date|timestamptz|timestamp|time|numeric)\s+\$(\d+)/gi, "$$$2::$1"));
    } catch (error) {
      return [`is not valid PostgreSQL: ${(error as Error).message}`];
    }
  }
  const problems: string[] = [];
  for (const raw of stmts) walk((raw as { stmt?: Node }).stmt, problems, true);
  return [...new Set(problems)];
}
