// A plan's signature: its shape (node types in tree order, with the relation
// or index each scan reads), independent of costs, timings and parameter
// values. Two plans with the same signature do the same work in the same way;
// a changed signature is a plan flip. Stored in the JSON report and in
// baseline files as one readable string, e.g.
//   Limit > Sort > Bitmap Heap Scan(conversation_messages) > Bitmap Index Scan[idx_conversation_messages_contact_created]
// (children of a node with several inputs are grouped in braces).
import type { ExplainResult, PlanNode } from "./explain.ts";
import { planNodes } from "./plan-analysis.ts";

export interface PlanFacts {
  /** The shape, see above. */
  readonly signature: string;
  readonly relations: readonly string[];
  readonly indexes: readonly string[];
  /** Planner's total cost of the root node (the comparison "costlier plan" uses). */
  readonly totalCost: number;
  readonly executionMs: number | null;
  readonly planningMs: number | null;
  /** Shared buffers hit + read by one execution. */
  readonly buffers: number;
  /** Rows the table scans produced or filtered away (x loops): the work, not the result. */
  readonly rowsRead: number;
  /** Rows returned. */
  readonly rows: number;
}

function label(node: PlanNode): string {
  const type = node["Node Type"];
  if (node["Index Name"]) return `${type}[${node["Index Name"]}]`;
  if (node["Relation Name"]) return `${type}(${node["Relation Name"]})`;
  return type;
}

export function signatureOf(node: PlanNode): string {
  const children = node.Plans ?? [];
  if (children.length === 0) return label(node);
  if (children.length === 1) return `${label(node)} > ${signatureOf(children[0]!)}`;
  return `${label(node)} > { ${children.map(signatureOf).join(" ; ")} }`;
}

const num = (x: unknown): number => (typeof x === "number" && Number.isFinite(x) ? x : 0);

export function planFacts(explain: ExplainResult): PlanFacts {
  const relations = new Set<string>();
  const indexes = new Set<string>();
  let rowsRead = 0;
  for (const node of planNodes(explain.Plan)) {
    if (node["Index Name"]) indexes.add(node["Index Name"]);
    if (node["Relation Name"]) {
      relations.add(node["Relation Name"]);
      const loops = Math.max(1, num(node["Actual Loops"]));
      rowsRead += (num(node["Actual Rows"]) + num(node["Rows Removed by Filter"]) + num(node["Rows Removed by Index Recheck"])) * loops;
    }
  }
  return {
    signature: signatureOf(explain.Plan),
    relations: [...relations].sort(),
    indexes: [...indexes].sort(),
    totalCost: num(explain.Plan["Total Cost"]),
    executionMs: explain["Execution Time"] ?? null,
    planningMs: explain["Planning Time"] ?? null,
    buffers: num(explain.Plan["Shared Hit Blocks"]) + num(explain.Plan["Shared Read Blocks"]),
    rowsRead: Math.round(rowsRead),
    rows: num(explain.Plan["Actual Rows"]),
  };
}
