// The values the app sent, from the server's statement log (what Dexter
// reads): `duration: N ms  execute <name>: SQL` (or `statement: SQL`)
// followed by `DETAIL:  parameters: $1 = '...', $2 = NULL` for bind
// parameters. Three formats: stderr text, csvlog, jsonlog (PG 15+). A logged
// statement is matched to a pg_stat_statements entry by its fingerprint
// (libpg-query; constants and parameters do not count), and its values are
// put in pg_stat_statements' numbering: the bind parameters keep $1..$k, the
// constants pg_stat_statements replaced become $k+1... in text order (the
// same normalization, libpg-query's normalize()).
import { readFileSync } from "node:fs";
import { fingerprintSync, normalizeSync, scanSync } from "libpg-query";
import { EXIT, UserError } from "../base/errors.ts";
import type { Sql } from "../db/index.ts";
import { arrayLiteral } from "../db/quote.ts";
import { loadParser } from "./parameter-contexts.ts";

export type LogFormat = "stderr" | "csvlog" | "jsonlog";

export interface LoggedStatement {
  readonly sql: string;
  /** Bind parameters $1..$k as the log printed them (text form, or null). */
  readonly params: readonly (string | null)[];
  readonly durationMs: number;
  readonly database: string | null;
}

/** At most this many value sets are kept per statement (the slowest calls first). */
export const MAX_LOGGED_SETS = 20;
/** Read at most this much of the server's log (the newest files first). */
export const MAX_SERVER_LOG_BYTES = 64 * 1024 * 1024;

const DURATION = /^duration: ([\d.]+) ms\s+(?:execute [^:]*|statement): ([\s\S]*)$/;
const PARAMETERS = /^parameters: ([\s\S]*)$/i;

/** `$1 = '5', $2 = NULL, $3 = 'it''s'` -> ['5', null, "it's"]; null when a value was cut (log_parameter_max_length). */
export function parseParameterDetail(detail: string): (string | null)[] | null {
  const m = PARAMETERS.exec(detail.trim());
  if (!m) return null;
  const out: (string | null)[] = [];
  const re = /\$(\d+) = (?:NULL|'((?:[^']|'')*)')(?:, |$)/gy;
  let match: RegExpExecArray | null;
  while ((match = re.exec(m[1]!))) {
    const value = match[2] === undefined ? null : match[2].replaceAll("''", "'");
    // A value cut by log_parameter_max_length ends in "..." and cannot be used.
    if (value !== null && value.endsWith("...") && /\.\.\.'/.test(match[0])) return null;
    out[Number(match[1]) - 1] = value;
    if (re.lastIndex >= m[1]!.length) break;
  }
  return out.length > 0 ? out : null;
}

interface LogRecord {
  readonly severity: string;
  readonly message: string;
  readonly detail: string | null;
  readonly database: string | null;
}

function recordsToStatements(records: Iterable<LogRecord>): LoggedStatement[] {
  const out: LoggedStatement[] = [];
  for (const r of records) {
    if (r.severity !== "LOG") continue;
    const m = DURATION.exec(r.message);
    if (!m) continue;
    const params = r.detail ? parseParameterDetail(r.detail) : [];
    if (params === null) continue;
    out.push({ sql: m[2]!.trim(), params, durationMs: Number(m[1]), database: r.database });
  }
  return out;
}

const SEVERITY = /^(.*?)\b(LOG|DETAIL|HINT|CONTEXT|STATEMENT|ERROR|WARNING|NOTICE|FATAL|PANIC|INFO|DEBUG\d?):  ([\s\S]*)$/;

/** stderr text (log_line_prefix of any shape): a record per severity line, continuation lines start with a tab. */
function* stderrRecords(text: string): Generator<LogRecord> {
  let current: { severity: string; message: string } | null = null;
  let pendingLog: { message: string } | null = null;
  const lines = text.split("\n");
  const flush = function* (next: { severity: string; message: string } | null): Generator<LogRecord> {
    if (!current) return;
    if (current.severity === "DETAIL" && pendingLog) {
      yield { severity: "LOG", message: pendingLog.message, detail: current.message, database: null };
      pendingLog = null;
    } else if (current.severity === "LOG") {
      if (pendingLog) yield { severity: "LOG", message: pendingLog.message, detail: null, database: null };
      pendingLog = { message: current.message };
      // A LOG record's own DETAIL comes next; anything else ends it.
      if (next && next.severity !== "DETAIL") {
        yield { severity: "LOG", message: pendingLog.message, detail: null, database: null };
        pendingLog = null;
      }
    }
  };
  for (const line of lines) {
    const m = line.startsWith("\t") ? null : SEVERITY.exec(line);
    if (m) {
      const next = { severity: m[2]!, message: m[3]! };
      yield* flush(next);
      current = next;
    } else if (current) current.message += `\n${line.replace(/^\t/, "")}`;
  }
  yield* flush(null);
  if (pendingLog) yield { severity: "LOG", message: (pendingLog as { message: string }).message, detail: null, database: null };
}

/** RFC 4180 records (csvlog quotes every text field; newlines inside quotes). */
export function* csvRecords(text: string): Generator<string[]> {
  let field = "";
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n") {
      row.push(field);
      yield row;
      row = [];
      field = "";
    } else if (ch !== "\r") field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    yield row;
  }
}

function* csvlogRecords(text: string): Generator<LogRecord> {
  // csvlog columns: ... [2] database_name ... [11] error_severity, [12] sql_state_code, [13] message, [14] detail.
  for (const row of csvRecords(text)) if (row.length >= 15) yield { severity: row[11]!, message: row[13]!, detail: row[14] || null, database: row[2] || null };
}

function* jsonlogRecords(text: string): Generator<LogRecord> {
  for (const line of text.split("\n")) {
    if (!line.trim().startsWith("{")) continue;
    let o: { error_severity?: string; message?: string; detail?: string; dbname?: string };
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    yield { severity: o.error_severity ?? "", message: o.message ?? "", detail: o.detail ?? null, database: o.dbname ?? null };
  }
}

export function detectLogFormat(text: string): LogFormat {
  const first = text.split("\n").find((l) => l.trim() !== "") ?? "";
  if (first.trimStart().startsWith("{")) return "jsonlog";
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \w+,/.test(first)) return "csvlog";
  return "stderr";
}

export function parseServerLog(text: string, format: LogFormat = detectLogFormat(text)): LoggedStatement[] {
  const records = format === "jsonlog" ? jsonlogRecords(text) : format === "csvlog" ? csvlogRecords(text) : stderrRecords(text);
  return recordsToStatements(records);
}

/** `--log FILE`: one clear line when it cannot be read. */
export function readLogFile(file: string): LoggedStatement[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(`--log ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); expected a PostgreSQL server log (stderr text, csvlog or jsonlog)`, EXIT.usage);
  }
  return parseServerLog(text);
}

/**
 * The server's own log, read over SQL (pg_ls_logdir + pg_read_file: a
 * superuser or a role granted pg_monitor and pg_read_server_files), newest
 * files first up to MAX_SERVER_LOG_BYTES. Machine-readable files first.
 */
export async function readServerLogOverSql(sql: Sql): Promise<{ statements: LoggedStatement[]; files: string[] } | { unavailable: string }> {
  let files: { name: string; size: number }[];
  try {
    files = await sql<{ name: string; size: number }[]>`SELECT name, size::float8 AS size FROM pg_ls_logdir() ORDER BY modification DESC /* bollalabz-db */`;
  } catch (error) {
    return { unavailable: `the server's log directory cannot be listed (${(error as Error).message}); logging_collector off, or the role lacks pg_monitor` };
  }
  const preferred = (["jsonlog", "csvlog", "stderr"] as const).map((f) => ({ format: f, files: files.filter((x) => (f === "jsonlog" ? /\.json$/ : f === "csvlog" ? /\.csv$/ : /\.log$/).test(x.name)) })).find((x) => x.files.length > 0);
  if (!preferred) return { unavailable: "the server's log directory holds no log file (logging_collector off?)" };
  const [dir] = await sql<{ dir: string }[]>`SELECT current_setting('log_directory') AS dir /* bollalabz-db */`;
  const statements: LoggedStatement[] = [];
  const read: string[] = [];
  let budget = MAX_SERVER_LOG_BYTES;
  for (const f of preferred.files) {
    if (budget <= 0) break;
    const length = Math.min(f.size, budget);
    try {
      const [row] = await sql<{ text: string }[]>`SELECT pg_read_file(${`${dir!.dir}/${f.name}`}, ${Math.max(0, f.size - length)}, ${length}) AS text /* bollalabz-db */`;
      statements.push(...parseServerLog(row?.text ?? "", preferred.format));
      read.push(f.name);
      budget -= length;
    } catch (error) {
      return read.length > 0 ? { statements, files: read } : { unavailable: `the server's log cannot be read (${(error as Error).message}); the role needs pg_read_server_files` };
    }
  }
  return { statements, files: read };
}

/** Constants pg_stat_statements replaced, in its numbering after the bind parameters. */
function constantsOf(sql: string, normalized: string): (string | null)[] | null {
  const orig = scanSync(sql).tokens;
  const norm = scanSync(normalized).tokens;
  const values: (string | null)[] = [];
  let i = 0;
  for (const t of norm) {
    const o = orig[i];
    if (!o) return null;
    if (/^\$\d+$/.test(t.text) && o.text !== t.text) {
      let text = o.text;
      if (o.text === "-" && orig[i + 1] && /^[\d.]/.test(orig[i + 1]!.text)) {
        text = `-${orig[i + 1]!.text}`;
        i++;
      }
      values[Number(t.text.slice(1)) - 1] = literalValue(text);
    }
    i++;
  }
  return values;
}

function literalValue(token: string): string | null {
  if (/^null$/i.test(token)) return null;
  const m = /^[eE]?'([\s\S]*)'$/.exec(token);
  return m ? m[1]!.replaceAll("''", "'") : token;
}

/** A value set in pg_stat_statements' numbering for a logged statement, with the fingerprint to match it by. */
export async function normalizeLogged(statement: LoggedStatement): Promise<{ fingerprint: string; values: (string | null)[]; collapsed: (string | null)[] } | null> {
  await loadParser();
  try {
    const normalized = normalizeSync(statement.sql);
    const constants = constantsOf(statement.sql, normalized) ?? [];
    const values = [...statement.params];
    for (let k = 0; k < constants.length; k++) if (k >= statement.params.length && k in constants) values[k] = constants[k]!;
    return { fingerprint: fingerprintSync(normalized), values, collapsed: collapseLists(normalized, values) };
  } catch {
    return null;
  }
}


/**
 * The same values in PostgreSQL 18's numbering, where pg_stat_statements
 * writes a list of parameters or constants as one (`IN ($1 /*, ... *\/)`,
 * `ARRAY[$1 /*, ... *\/]`) and numbers the rest after it in text order: each
 * list becomes one array value.
 */
export function collapseLists(normalized: string, values: readonly (string | null)[]): (string | null)[] {
  const tokens = scanSync(normalized).tokens.map((t) => t.text);
  const param = (t: string | undefined) => (t && /^\$\d+$/.test(t) ? Number(t.slice(1)) : null);
  const out: (string | null)[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < tokens.length; i++) {
    const open = /^in$/i.test(tokens[i]!) && tokens[i + 1] === "(" ? ")" : /^array$/i.test(tokens[i]!) && tokens[i + 1] === "[" ? "]" : null;
    if (open) {
      const list: number[] = [];
      let j = i + 2;
      while (param(tokens[j]) !== null && (tokens[j + 1] === "," || tokens[j + 1] === open)) {
        list.push(param(tokens[j])!);
        j += 2;
        if (tokens[j - 1] === open) break;
      }
      if (list.length > 0 && tokens[j - 1] === open) {
        out.push(arrayLiteral(list.map((n) => values[n - 1] ?? null)));
        list.forEach((n) => seen.add(n));
        i = j - 1;
        continue;
      }
    }
    const n = param(tokens[i]);
    if (n !== null && !seen.has(n)) {
      seen.add(n);
      out.push(values[n - 1] ?? null);
    }
  }
  return out;
}

export async function fingerprintOf(sql: string): Promise<string | null> {
  await loadParser();
  try {
    return fingerprintSync(sql);
  } catch {
    return null;
  }
}

export interface LoggedValueSets {
  /** Value sets per fingerprint in pg_stat_statements' numbering up to PostgreSQL 17 (one value per list element). */
  readonly byFingerprint: Map<string, (string | null)[][]>;
  /** The same in PostgreSQL 18's numbering, each list one array value (for statements whose text holds a collapsed list). */
  readonly collapsedByFingerprint: Map<string, (string | null)[][]>;
}

/**
 * Value sets per fingerprint, slowest calls first (the calls an index must
 * fix), distinct, at most MAX_LOGGED_SETS each; only this database's lines
 * where the log names the database.
 */
export async function loggedValueSets(statements: readonly LoggedStatement[], database: string | null): Promise<LoggedValueSets> {
  const out = new Map<string, { ms: number; values: (string | null)[]; collapsed: (string | null)[] }[]>();
  for (const s of statements) {
    if (database && s.database && s.database !== database) continue;
    const n = await normalizeLogged(s);
    if (!n) continue;
    const list = out.get(n.fingerprint) ?? [];
    list.push({ ms: s.durationMs, values: n.values, collapsed: n.collapsed });
    out.set(n.fingerprint, list);
  }
  const distinct = (list: { ms: number; values: (string | null)[] }[]) => {
    const seen = new Set<string>();
    const sets: (string | null)[][] = [];
    for (const x of [...list].sort((a, b) => b.ms - a.ms)) {
      const key = JSON.stringify(x.values);
      if (seen.has(key)) continue;
      seen.add(key);
      sets.push(x.values);
      if (sets.length >= MAX_LOGGED_SETS) break;
    }
    return sets;
  };
  const byFingerprint = new Map<string, (string | null)[][]>();
  const collapsedByFingerprint = new Map<string, (string | null)[][]>();
  for (const [fp, list] of out) {
    byFingerprint.set(fp, distinct(list));
    collapsedByFingerprint.set(fp, distinct(list.map((x) => ({ ms: x.ms, values: x.collapsed }))));
  }
  return { byFingerprint, collapsedByFingerprint };
}
