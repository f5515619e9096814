// Flags of `npm run advise`, validated all at once (every bad flag in one message, exit 2).
import { formatHelp, outputFileFlag, parseFlags } from "../base/flags.ts";
import { UserError } from "../base/errors.ts";
import { catalogFromFlag } from "../catalog/load.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { LARGE_TABLE_ROWS } from "./problems.ts";
import { loadStatsFile, type StatsFile } from "../stats/format.ts";
import { DEFAULT_LIMIT, DEFAULT_MIN_CALLS, DEFAULT_MIN_TOTAL_MS, type StatementFilter } from "./statements.ts";
import { DEFAULT_TIMED_RUNS } from "./plans.ts";
import { SEQ_SCAN_ROW_THRESHOLD } from "../catalog/plan-analysis.ts";

export const ADVISE_SPEC = {
  usage: "npm run advise --",
  options: {
    "min-calls": { type: "string" },
    "min-total-ms": { type: "string" },
    limit: { type: "string" },
    exclude: { type: "string" },
    catalog: { type: "string" },
    validate: { type: "boolean" },
    write: { type: "boolean" },
    yes: { type: "boolean" },
    "skip-overlaps": { type: "boolean" },
    runs: { type: "string" },
    "large-table-rows": { type: "string" },
    "seq-scan-rows": { type: "string" },
    json: { type: "string" },
    markdown: { type: "string" },
    stats: { type: "string" },
    log: { type: "string" },
    "show-values": { type: "boolean" },
  },
  help: {
    "min-calls": `only statements called at least this often (default ${DEFAULT_MIN_CALLS})`,
    "min-total-ms": `only statements with at least this much total execution time (default ${DEFAULT_MIN_TOTAL_MS})`,
    limit: `the top N statements by total time (default ${DEFAULT_LIMIT})`,
    exclude: "leave out statements whose text matches this regular expression (e.g. 'audit_log|pg_cron')",
    catalog: "plan this catalog instead of pg_stat_statements: 'builtin' (src/catalog/entries.ts) or a JSON/YAML file",
    validate: "build each candidate CONCURRENTLY under a temporary name, time the statements with it, drop it (scratch/development database, or --yes)",
    write: "turn the accepted candidates (implies --validate) into committed migrations, one CREATE INDEX CONCURRENTLY each",
    yes: "allow --validate and the overlap measurement on a database not marked scratch/development",
    "skip-overlaps": "do not measure which indexes another index serves nearly as well",
    runs: `timed EXPLAIN ANALYZE runs per statement, after one warm-up (default ${DEFAULT_TIMED_RUNS})`,
    "large-table-rows": `a sequential scan matters only on tables with at least this many rows (default ${LARGE_TABLE_ROWS})`,
    "seq-scan-rows": `an index is never called redundant when hiding it yields a sequential scan over more rows than this (default ${SEQ_SCAN_ROW_THRESHOLD}, verify's threshold for failing a query)`,
    json: "also write the report as JSON to this file (top-level candidates and redundant)",
    markdown: "Markdown report path (default reports/advise-<timestamp>.md)",
    stats: "a stats:export file: advise on a statistics twin built here (PostgreSQL 18+, scratch/development or --yes; needs --catalog; not with --validate/--write)",
    log: "take the values the app sent from this server log (stderr text, csvlog or jsonlog; log_min_duration_statement lines with their DETAIL parameters) instead of the server's own log",
    "show-values": "print the parameter values each statement was measured with (they are data: off by default)",
  },
} as const;

export const ADVISE_EXIT_CODES =
  "exit codes: 0 advice written; 2 bad flag, or --validate/--write on a database not marked scratch/development without --yes;\n" +
  "            3 database unreachable; 4 PostgreSQL < 15 or pg_stat_statements not ready; 5 --write could not commit a migration";

export interface ParsedAdviseFlags {
  readonly help: boolean;
  readonly filter: StatementFilter;
  readonly catalog?: readonly CatalogEntry[];
  readonly catalogSource?: string;
  readonly validate: boolean;
  readonly write: boolean;
  readonly yes: boolean;
  readonly overlaps: boolean;
  readonly runs?: number;
  readonly largeTableRows?: number;
  readonly seqScanRows?: number;
  readonly json?: string;
  readonly markdown?: string;
  /** --stats FILE, loaded and checked. */
  readonly stats?: StatsFile;
  readonly logFile?: string;
  readonly showValues?: boolean;
}

function intProblem(name: string, raw: string | undefined, min: number, max: number): string | null {
  if (raw === undefined) return null;
  return /^\d+$/.test(raw.trim()) && Number(raw) >= min && Number(raw) <= max ? null : `--${name} must be an integer from ${min} to ${max}, got '${raw}'`;
}

export function parseAdviseFlags(argv: string[] = process.argv.slice(2)): ParsedAdviseFlags {
  const { values } = parseFlags(ADVISE_SPEC, argv);
  if (values.help) return { help: true, filter: {}, validate: false, write: false, yes: false, overlaps: true };
  let exclude: RegExp | undefined;
  const problems = [
    intProblem("min-calls", values["min-calls"], 1, 1e12),
    values["min-total-ms"] !== undefined && !(Number(values["min-total-ms"]) >= 0 && values["min-total-ms"].trim() !== "") ? `--min-total-ms must be a number >= 0, got '${values["min-total-ms"]}'` : null,
    intProblem("limit", values.limit, 1, 1000),
    intProblem("runs", values.runs, 1, 100),
    intProblem("large-table-rows", values["large-table-rows"], 0, 1e12),
    intProblem("seq-scan-rows", values["seq-scan-rows"], 0, 1e12),
  ].filter((p): p is string => p !== null);
  if (values.exclude !== undefined) {
    try {
      exclude = new RegExp(values.exclude, "i");
    } catch (error) {
      problems.push(`--exclude '${values.exclude}' is not a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: /, "")})`);
    }
  }
  if (values.stats !== undefined && values.catalog === undefined) problems.push("--stats builds a twin that has no workload of its own: pass --catalog builtin (or a catalog file) with it");
  // An index build sets the table's pg_class row count from its own data,
  // overwriting the twin's restored reltuples for every later plan.
  if (values.stats !== undefined && (values.validate || values.write)) problems.push("--stats with --validate/--write: building a candidate index rewrites the table's row count the twin took from the file; advise on the twin without them, then validate on a copy of production's size");
  if (problems.length > 0) throw new UserError(`${problems.join("\n")}\n${formatHelp(ADVISE_SPEC)}`);
  const catalog = values.catalog === undefined ? undefined : catalogFromFlag(values.catalog === "builtin" ? undefined : values.catalog);
  return {
    help: false,
    filter: {
      ...(values["min-calls"] !== undefined ? { minCalls: Number(values["min-calls"]) } : {}),
      ...(values["min-total-ms"] !== undefined ? { minTotalMs: Number(values["min-total-ms"]) } : {}),
      ...(values.limit !== undefined ? { limit: Number(values.limit) } : {}),
      ...(exclude ? { exclude } : {}),
    },
    ...(catalog ? { catalog, catalogSource: values.catalog === "builtin" ? "src/catalog/entries.ts" : values.catalog } : {}),
    validate: Boolean(values.validate || values.write),
    write: Boolean(values.write),
    yes: Boolean(values.yes),
    overlaps: !values["skip-overlaps"],
    ...(values.runs !== undefined ? { runs: Number(values.runs) } : {}),
    ...(values["large-table-rows"] !== undefined ? { largeTableRows: Number(values["large-table-rows"]) } : {}),
    ...(values["seq-scan-rows"] !== undefined ? { seqScanRows: Number(values["seq-scan-rows"]) } : {}),
    ...(values.log !== undefined ? { logFile: values.log } : {}),
    showValues: Boolean(values["show-values"]),
    json: outputFileFlag("json", values.json),
    markdown: outputFileFlag("markdown", values.markdown),
    ...(values.stats !== undefined ? { stats: loadStatsFile(values.stats) } : {}),
  };
}
