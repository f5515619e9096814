// The danger checks in one answer (the API's /health/danger and the
// dashboard): wraparound, vacuum behind or running, sequences near their
// limit, constraints never validated. Each part's SQL and threshold live in
// its own src/checks/<topic>.ts.
import type { Sql } from "../db/index.ts";
import { findInvalidConstraints, type InvalidConstraint } from "../checks/constraints.ts";
import { sequenceUsage, type SequenceUsage } from "../checks/sequences.ts";
import { findOverdueVacuum, vacuumProgress, vacuumThresholds, VACUUM_OVERDUE_FACTOR, type OverdueTable, type VacuumProgress } from "../checks/vacuum.ts";
import { freezeAgeReport, FREEZE_AGE_WARN_FRACTION, type FreezeAgeReport } from "../checks/wraparound.ts";

/** Sequences are "near their limit" from this share of their range on (the maintenance report warns at 50%). */
export const SEQUENCE_DANGER_FRACTION = 0.75;

export interface DangerReport {
  readonly freezeAge: FreezeAgeReport;
  readonly vacuum: { readonly overdueFactor: number; readonly overdue: readonly OverdueTable[]; readonly inProgress: readonly VacuumProgress[] };
  readonly sequences: { readonly warnAtFraction: number; readonly nearLimit: readonly SequenceUsage[] };
  readonly invalidConstraints: readonly InvalidConstraint[];
  /** One line per finding, most severe kinds first; empty when all is well. */
  readonly warnings: readonly string[];
}

export async function dangerReport(sql: Sql): Promise<DangerReport> {
  const [freezeAge, thresholds, inProgress, sequences, invalidConstraints] = await Promise.all([
    freezeAgeReport(sql),
    vacuumThresholds(sql),
    vacuumProgress(sql),
    sequenceUsage(sql, null),
    findInvalidConstraints(sql),
  ]);
  const overdue = findOverdueVacuum(thresholds);
  const nearLimit = sequences.filter((s) => s.usedFraction >= SEQUENCE_DANGER_FRACTION);
  const warnings = [
    ...freezeAge.warnings,
    ...nearLimit.map((s) => `sequence ${s.schema}.${s.sequence}: ${Math.round(s.usedFraction * 100)}% of its range used, ${s.remaining ?? "?"} values left${s.column ? ` (feeds ${s.column} ${s.columnType})` : ""}`),
    ...overdue.map((t) => `table ${t.schema}.${t.table}: vacuum overdue: ${t.reason}`),
    ...invalidConstraints.map((c) => `constraint ${c.constraint} on ${c.schema}.${c.table} was never validated (${c.fix})`),
  ];
  return {
    freezeAge,
    vacuum: { overdueFactor: VACUUM_OVERDUE_FACTOR, overdue, inProgress },
    sequences: { warnAtFraction: SEQUENCE_DANGER_FRACTION, nearLimit },
    invalidConstraints,
    warnings,
  };
}

export { FREEZE_AGE_WARN_FRACTION };
