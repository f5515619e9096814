// What advise takes and returns: its options and its report (terminal,
// Markdown and JSON are written from the report by report.ts).
import type { CatalogEntry } from "../catalog/types.ts";
import type { Candidate } from "./candidates.ts";
import type { Problem } from "./problems.ts";
import type { IndexOverlap } from "./redundancy.ts";
import type { StatementSample } from "./samples.ts";
import type { StatementFilter, WorkloadSelection, WorkloadStatement } from "./statements.ts";
import type { StructuralFix } from "./structural.ts";
import type { Weighing, WriteCost } from "./validate.ts";

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
  /** Take the values the app pool's monitor sampled (monitor schema) where the log has none (default true). */
  readonly poolMonitor?: boolean;
  /** --show-values: put the values in the report (they are data). */
  readonly showValues?: boolean;
}

export interface StatementReport {
  readonly id: string;
  /** A readable name: the catalog entry, or the start of the statement's text (verdicts use it; ids are queryids). */
  readonly label: string;
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
  /**
   * ms per call. Validated: the mean over the value sets of the fastest timed
   * run, before and after taken the same way (the pair the verdict judged;
   * valueSets says over how many). Not validated: the planning pass's median.
   */
  readonly beforeMs: readonly { readonly statement: string; readonly ms: number }[];
  readonly afterMs: readonly { readonly statement: string; readonly ms: number; readonly usesIndex: boolean; readonly valueSets: number }[] | null;
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
  /** Where the values the app sent came from (server log, pool monitor), or why there are none. */
  readonly valueLog: string;
  /** With --validate: each candidate table's write rate since the previous advise run, or why unknown. */
  readonly writeRates?: readonly string[];
  /** Why this run's write counters could not be stored for the next run's deltas (absent when stored). */
  readonly writeCountersNotStored?: string;
  readonly experiments: string;
  readonly statements: readonly StatementReport[];
  readonly candidates: readonly CandidateReport[];
  readonly alreadyServed: readonly { readonly definition: string; readonly table: string; readonly by: string; readonly statements: readonly string[] }[];
  readonly redundant: readonly IndexOverlap[];
  readonly overlapsMeasured: readonly IndexOverlap[];
  readonly overlapsSkipped?: string;
  readonly structural: readonly StructuralFix[];
}
