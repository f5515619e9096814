// Flags of `npm run maintenance`, validated all at once (every bad flag in one message, exit 2).
import { formatHelp, outputFileFlag, parseFlags } from "../base/flags.ts";
import { UserError } from "../base/errors.ts";
import { BLOAT_BYTES_MIN, BLOAT_PERCENT_MIN } from "../checks/bloat.ts";
import { ANALYZE_MODES, type AnalyzeMode } from "./analyze.ts";
import { CLEANUP_LOCK_TIMEOUT, REINDEX_LOCK_TIMEOUT } from "./reindex.ts";
import type { MaintenanceOptions } from "./run.ts";
import { UNUSED_MIN_STATS_DAYS } from "./unused-indexes.ts";
import { replicaTargets } from "../replication/targets.ts";

export const MAINTENANCE_SPEC = {
  usage: "npm run maintenance --",
  options: {
    analyze: { type: "string" },
    reindex: { type: "boolean" },
    "bloat-percent": { type: "string" },
    "bloat-min-mb": { type: "string" },
    "lock-timeout": { type: "string" },
    "min-stats-days": { type: "string" },
    json: { type: "string" },
    replica: { type: "string", multiple: true },
    "skip-overlaps": { type: "boolean" },
    yes: { type: "boolean" },
  },
  help: {
    analyze: "all | stale | none: ANALYZE every table, only those with missing or stale statistics (default), or none",
    reindex: "REINDEX INDEX CONCURRENTLY the indexes over both bloat thresholds, one at a time",
    "bloat-percent": `rebuild when the estimated bloat is at least this % of the index (default ${BLOAT_PERCENT_MIN})`,
    "bloat-min-mb": `...and at least this many MB (default ${BLOAT_BYTES_MIN / 1024 / 1024}; 0 = any size)`,
    "lock-timeout": `how long each REINDEX may wait for its lock, e.g. 500ms, 5s, 1min (default ${REINDEX_LOCK_TIMEOUT}); on timeout the run stops`,
    "min-stats-days": `scan counters younger than this many days cannot show an index is unused (default ${UNUSED_MIN_STATS_DAYS})`,
    json: "also write the report as JSON to this file",
    "skip-overlaps": "do not measure which indexes another index serves nearly as well",
    yes: "measure overlapping indexes also on a database not marked scratch/development (hiding an index locks its table for milliseconds)",
    replica: "a streaming replica whose index scans count too (repeatable; default: DATABASE_REPLICA_URLS, comma-separated): an index is unused only when no node scans it",
  },
} as const;

export const MAINTENANCE_EXIT_CODES =
  "exit codes: 0 report written, nothing failed; 2 bad flag; 3 database unreachable; 4 PostgreSQL < 15;\n" +
  "            5 an invalid index exists (after the run) or --reindex stopped before it finished (lock timeout, error)";

function lockTimeoutProblem(raw: string): string | null {
  return /^\d+(ms|s|min)?$/.test(raw.trim()) && !/^0+(ms|s|min)?$/.test(raw.trim()) ? null : `--lock-timeout must be a positive duration like 500ms, 5s or 1min, got '${raw}'`;
}

function numberProblem(name: string, raw: string | undefined, min: number, max: number): string | null {
  if (raw === undefined) return null;
  const value = Number(raw);
  return raw.trim() !== "" && Number.isFinite(value) && value >= min && value <= max ? null : `--${name} must be a number from ${min} to ${max}, got '${raw}'`;
}

export interface ParsedMaintenanceFlags {
  readonly help: boolean;
  readonly json?: string;
  readonly options: MaintenanceOptions;
}

export function parseMaintenanceFlags(argv: string[] = process.argv.slice(2)): ParsedMaintenanceFlags {
  const { values } = parseFlags(MAINTENANCE_SPEC, argv);
  if (values.help) return { help: true, options: {} };
  const problems = [
    values.analyze !== undefined && !(ANALYZE_MODES as readonly string[]).includes(values.analyze) ? `--analyze must be one of ${ANALYZE_MODES.join(", ")}, got '${values.analyze}'` : null,
    numberProblem("bloat-percent", values["bloat-percent"], 0, 100),
    numberProblem("bloat-min-mb", values["bloat-min-mb"], 0, 1_000_000),
    numberProblem("min-stats-days", values["min-stats-days"], 0, 3650),
    values["lock-timeout"] !== undefined ? lockTimeoutProblem(values["lock-timeout"]) : null,
    values.json !== undefined && values.json.trim() === "" ? "--json needs a file name" : null,
  ].filter((p): p is string => p !== null);
  if (problems.length > 0) throw new UserError(`${problems.join("\n")}\n${formatHelp(MAINTENANCE_SPEC)}`);
  const replicas = replicaTargets(values.replica);
  return {
    help: false,
    json: problems.length === 0 ? outputFileFlag("json", values.json) : undefined,
    options: {
      analyze: (values.analyze as AnalyzeMode | undefined) ?? "stale",
      reindex: values.reindex ?? false,
      bloat: {
        percent: values["bloat-percent"] !== undefined ? Number(values["bloat-percent"]) : BLOAT_PERCENT_MIN,
        bytes: values["bloat-min-mb"] !== undefined ? Math.round(Number(values["bloat-min-mb"]) * 1024 * 1024) : BLOAT_BYTES_MIN,
      },
      lockTimeout: values["lock-timeout"]?.trim() ?? REINDEX_LOCK_TIMEOUT,
      cleanupLockTimeout: CLEANUP_LOCK_TIMEOUT,
      skipOverlaps: values["skip-overlaps"] ?? false,
      measureOverlapsAnyway: values.yes ?? false,
      minStatsDays: values["min-stats-days"] !== undefined ? Number(values["min-stats-days"]) : UNUSED_MIN_STATS_DAYS,
      ...(replicas.length ? { replicas } : {}),
    },
  };
}
