// The maintenance routine for scripts and applications (package export "./maintenance").
export { analyzeTables, ANALYZE_MODES, type AnalyzeMode, type AnalyzeResult, type AnalyzedTable } from "./analyze.ts";
export { reindexConcurrently, REINDEX_LOCK_TIMEOUT, CLEANUP_LOCK_TIMEOUT, type ReindexOptions, type ReindexOutcome, type ReindexResult } from "./reindex.ts";
export { countersAge, reportUnusedIndexes, UNUSED_MIN_STATS_DAYS, type CountersAge, type UnusedIndexReport } from "./unused-indexes.ts";
export { runMaintenance, maintainTarget, writeMaintenanceJson, TOP_N, type MaintenanceOptions, type MaintenanceReport } from "./run.ts";
export { formatMaintenanceReport } from "./format.ts";
export { parseMaintenanceFlags, MAINTENANCE_SPEC, MAINTENANCE_EXIT_CODES } from "./flags.ts";
