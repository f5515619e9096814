// What "good" costs for a catalog entry: its buffer and row budgets per
// execution (per kind in types.ts, or the entry's own), and the verdict on one
// plan's measured work against them.
import type { PlanFacts } from "./plan-signature.ts";
import { BUDGET_BUFFERS, BUDGET_ROWS, type CatalogEntry } from "./types.ts";

export function budgetsOf(entry: CatalogEntry): { buffers: number | null; rows: number | null } {
  return {
    buffers: entry.budgetBuffers === undefined ? BUDGET_BUFFERS[entry.kind] : entry.budgetBuffers,
    rows: entry.budgetRows === undefined ? BUDGET_ROWS[entry.kind] : entry.budgetRows,
  };
}

/** Budget failures of one plan the app can run (deterministic: buffers and rows per execution). */
export function workFailures(facts: PlanFacts, label: string, budgets: { buffers: number | null; rows: number | null }): string[] {
  const out: string[] = [];
  if (budgets.buffers !== null && facts.buffers > budgets.buffers) out.push(`${label} touches ${facts.buffers.toLocaleString("en-US")} buffers per execution, over its budget of ${budgets.buffers.toLocaleString("en-US")}`);
  if (budgets.rows !== null && facts.rowsRead > budgets.rows) out.push(`${label} reads ${facts.rowsRead.toLocaleString("en-US")} rows per execution, over its budget of ${budgets.rows.toLocaleString("en-US")}`);
  return out;
}
