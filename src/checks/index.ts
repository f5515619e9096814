// The database checks as a library (package export "./checks"): each a plain
// function of a postgres.js client, its SQL and threshold beside it. Used by
// verify, the health API and maintenance.
export { findInvalidIndexes, findRedundantIndexes, findUnusedIndexes, indexUsage, statsResetAt, type InvalidIndex, type RedundantIndex, type IndexUsage } from "./index-health.ts";
export { databaseSizeBytes, largestTables, cacheHitRatio, scanCounters, refreshStatsSnapshot, CACHE_HIT_RATIO_MIN, meetsCacheHitGoal, type TableSize, type CacheHitRatio, type ScanCounters } from "./database-health.ts";
export { checkPgStatStatements, describeStatStatementsProblem, type StatStatementsStatus, type StatStatementsStep } from "./pg-stat-statements.ts";
export { topStatements, resetStatementStats, STATEMENT_TEXT_MAX, type TopStatement, type StatementOrder, type StatementsResetResult } from "./query-stats.ts";
export { estimateBtreeBloat, needsReindex, BLOAT_PERCENT_MIN, BLOAT_BYTES_MIN, type IndexBloat, type BloatThreshold } from "./bloat.ts";
export { tableStatistics, findStaleTables, findDeadTupleTables, staleReason, DEAD_TUPLES_MIN, DEAD_TUPLES_FRACTION, type TableStatistics, type StaleTable, type DeadTupleTable } from "./table-maintenance.ts";
export { findSettingsDrift, settingsInEffect, type SettingDrift, type SettingInEffect } from "./settings-drift.ts";
export { sequenceUsage, findSequencesNearOverflow, SEQUENCE_USED_FRACTION_WARN, type SequenceUsage } from "./sequences.ts";
export { freezeAgeReport, databaseFreezeAges, tableFreezeAges, freezeLimits, FREEZE_AGE_WARN_FRACTION, WRAPAROUND_LIMIT, type FreezeAgeReport, type DatabaseFreezeAge, type TableFreezeAge } from "./wraparound.ts";
export { vacuumThresholds, findOverdueVacuum, vacuumProgress, VACUUM_OVERDUE_FACTOR, type VacuumDue, type OverdueTable, type VacuumProgress } from "./vacuum.ts";
export { findInvalidConstraints, type InvalidConstraint } from "./constraints.ts";
