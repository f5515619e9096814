// When no index can fix a statement, say so and name the structural fix.
// Recognised from the statement's text and its analyzed plan.
import type { PlanNode } from "../catalog/explain.ts";
import { nodesWithAncestors, type StatementPlan } from "./plans.ts";
import { actualRows, type Problem } from "./problems.ts";

/** An aggregate over at least this many rows is a rollup's job, not an index's. */
export const LARGE_AGGREGATE_ROWS = 100_000;
/** OFFSET at or above this reads and discards that many rows whatever the index. */
export const LARGE_OFFSET = 1_000;

export interface StructuralFix {
  readonly statement: string;
  readonly why: string;
  readonly fix: string;
}

const AGGREGATES = new Set(["Aggregate", "HashAggregate", "GroupAggregate", "MixedAggregate"]);

export function structuralFix(plan: StatementPlan, problems: readonly Problem[]): StructuralFix | null {
  const text = plan.statement.query;
  const root = plan.timing?.plan.Plan;
  const id = plan.statement.id;
  if (/\bDISTINCT\s+ON\b/i.test(text) && problems.some((p) => p.kind === "large-sort" || p.kind === "seq-scan-selective")) {
    return {
      statement: id,
      why: "DISTINCT ON keeps one row per group only after reading and sorting every row of every group; an index on (group, order) still visits them all",
      fix: "keep the latest row per group maintained (e.g. a last_message_at column on the parent table or a conversations table updated by a trigger, indexed for ORDER BY ... LIMIT), or drive the query from the parent table with LATERAL (... ORDER BY ... LIMIT 1) per row",
    };
  }
  const offset = /\bOFFSET\s+(\d+)/i.exec(text);
  if (offset && Number(offset[1]) >= LARGE_OFFSET) {
    return { statement: id, why: `OFFSET ${offset[1]} reads and throws away ${offset[1]} rows on every page, whatever the index`, fix: "keyset pagination: WHERE (sort_key, id) < ($last_key, $last_id) ORDER BY sort_key DESC, id DESC LIMIT n" };
  }
  if (root) {
    const aggregate = [...nodesWithAncestors(root)].find(({ node }) => AGGREGATES.has(node["Node Type"]) && inputRows(node) >= LARGE_AGGREGATE_ROWS);
    if (aggregate) {
      return {
        statement: id,
        why: `it aggregates ${Math.round(inputRows(aggregate.node)).toLocaleString("en-US")} rows per call; an index can make that read index-only but cannot avoid reading them`,
        fix: "a rollup table maintained on write (or a materialized view refreshed on a schedule) that stores the aggregate per day/key",
      };
    }
  }
  if (problems.some((p) => p.kind === "seq-scan-selective" || p.kind === "filter-removes-most")) {
    return {
      statement: id,
      why: "its filter compares an expression no index shape here can serve (e.g. a function of a column, an OR across columns, a non-immutable function)",
      fix: "rewrite the condition so a column is compared directly (sargable), or store the expression in a generated column and index that",
    };
  }
  return null;
}

function inputRows(node: PlanNode): number {
  return node.Plans?.[0] ? actualRows(node.Plans[0]) : 0;
}
