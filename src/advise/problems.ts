// The problems advise recognises in a statement's plans, each with the node
// it was found on and the numbers that make it a problem. Thresholds are
// named defaults (PgHero style); candidates.ts turns problems into indexes.
import type { ExplainResult, PlanNode } from "../catalog/explain.ts";
import { neededColumns } from "./expressions.ts";
import { estimatedAsAnalyzed, nodesWithAncestors, type StatementPlan } from "./plans.ts";
import type { SchemaInfo } from "./schema.ts";
import { formatPercent } from "../base/format.ts";

/** A table below this many rows is read sequentially for good reasons. */
export const LARGE_TABLE_ROWS = 10_000;
/** A sequential scan returning at most this fraction of the table is "selective". */
export const SELECTIVE_FRACTION = 0.1;
/** A sort (or top-N) over at least this many input rows is large. */
export const LARGE_SORT_ROWS = 10_000;
/** Rows removed by a filter at least this many times the rows returned... */
export const FILTER_REMOVED_RATIO = 10;
/** ...and at least this many. */
export const FILTER_REMOVED_MIN = 1_000;
/** An INCLUDE is suggested for at most this many missing columns. */
export const MAX_INCLUDE_COLUMNS = 2;
/** ...each at most this wide on average (bytes, pg_stats.avg_width): ids, timestamps, amounts, short codes; never message text. */
export const MAX_INCLUDE_WIDTH = 24;
/** An index scan visiting at least this many heap rows is worth making index-only. */
export const HEAP_FETCH_MIN_ROWS = 10;
/** The generic plan costs this many times the plan with values: the prepared statement may switch to it. */
export const GENERIC_TRAP_COST_RATIO = 10;

export type ProblemKind = "seq-scan-selective" | "large-sort" | "filter-removes-most" | "heap-fetches" | "generic-plan-trap";

export interface Problem {
  readonly kind: ProblemKind;
  readonly table: string | null;
  readonly detail: string;
  /** The scan node (for sorts: the scan below the sort) the candidate is built from. */
  readonly node?: PlanNode;
  /** Sort keys (EXPLAIN VERBOSE text) for a large sort. */
  readonly sortKeys?: readonly string[];
  /** heap-fetches: the index that would become covering and the columns it lacks. */
  readonly index?: string;
  readonly missingColumns?: readonly string[];
}

const SEQ_SCANS = new Set(["Seq Scan", "Parallel Seq Scan"]);
const INDEX_SCANS = new Set(["Index Scan", "Index Only Scan", "Bitmap Heap Scan"]);
const SORTS = new Set(["Sort", "Incremental Sort"]);

export function actualRows(node: PlanNode): number {
  return (node["Actual Rows"] ?? 0) * Math.max(1, node["Actual Loops"] ?? 1);
}

function removedByFilter(node: PlanNode): number {
  const loops = Math.max(1, node["Actual Loops"] ?? 1);
  return ((node["Rows Removed by Filter"] as number | undefined) ?? 0) * loops + ((node["Rows Removed by Index Recheck"] as number | undefined) ?? 0) * loops;
}

/** The scan a sort's input comes from, following the first (outer) child. */
export function scanBelow(node: PlanNode): PlanNode | null {
  let n: PlanNode | undefined = node.Plans?.[0];
  while (n) {
    if (typeof n["Relation Name"] === "string") return n;
    if (n["Node Type"] === "Hash Join" || n["Node Type"] === "Merge Join" || n["Node Type"] === "Nested Loop" || n["Node Type"] === "Append") return n.Plans?.[0] && typeof n.Plans[0]["Relation Name"] === "string" ? n.Plans[0] : null;
    n = n.Plans?.[0];
  }
  return null;
}

export interface ProblemOptions {
  readonly largeTableRows?: number;
}

export function findProblems(plan: StatementPlan, schema: SchemaInfo, options: ProblemOptions = {}): Problem[] {
  const largeRows = options.largeTableRows ?? LARGE_TABLE_ROWS;
  const problems: Problem[] = [];
  // No values (plans.ts estimatedOnly): the generic plan's estimates stand in for the run.
  const analyzed = plan.timing?.plan ?? (plan.estimatedOnly && plan.generic ? estimatedAsAnalyzed(plan.generic, (t) => schema.get(t)?.rows ?? 0) : undefined);
  if (analyzed) {
    for (const { node } of nodesWithAncestors(analyzed.Plan)) {
      const table = node["Relation Name"] as string | undefined;
      const rows = table ? (schema.get(table)?.rows ?? 0) : 0;
      if (table && SEQ_SCANS.has(node["Node Type"]) && rows >= largeRows && node.Filter) {
        // Rows read, not the table's size: a scan a LIMIT stops early is cheap.
        const returned = actualRows(node);
        const examined = returned + removedByFilter(node);
        if (examined >= largeRows && returned <= examined * SELECTIVE_FRACTION) {
          problems.push({ kind: "seq-scan-selective", table, node, detail: `sequential scan of ${table} (${fmt(rows)} rows) reads ${fmt(examined)} rows and keeps ${fmt(returned)} (${pct(returned / Math.max(examined, 1))}) with filter ${node.Filter}` });
          continue;
        }
      }
      if (table && INDEX_SCANS.has(node["Node Type"]) && rows >= largeRows) {
        const removed = removedByFilter(node);
        if (removed >= FILTER_REMOVED_MIN && removed >= FILTER_REMOVED_RATIO * Math.max(actualRows(node), 1)) {
          problems.push({ kind: "filter-removes-most", table, node, detail: `${node["Node Type"]} on ${table}${node["Index Name"] ? ` using ${node["Index Name"]}` : ""} reads ${fmt(removed + actualRows(node))} rows and removes ${fmt(removed)} by filter ${node.Filter ?? node["Recheck Cond"]}` });
          continue;
        }
      }
      if (table && (node["Node Type"] === "Index Scan" || node["Node Type"] === "Bitmap Heap Scan") && rows >= largeRows && actualRows(node) >= HEAP_FETCH_MIN_ROWS) {
        const heap = heapFetchProblem(node, table, schema, plan.statement.query);
        if (heap) problems.push(heap);
      }
      if (SORTS.has(node["Node Type"])) {
        const input = node.Plans?.[0] ? actualRows(node.Plans[0]) : 0;
        if (input >= LARGE_SORT_ROWS) {
          const method = (node["Sort Method"] as string | undefined) ?? "sort";
          const scan = scanBelow(node);
          problems.push({
            kind: "large-sort",
            table: (scan?.["Relation Name"] as string | undefined) ?? null,
            node: scan ?? undefined,
            sortKeys: (node["Sort Key"] as string[] | undefined) ?? [],
            detail: `${method} of ${fmt(input)} rows by ${((node["Sort Key"] as string[] | undefined) ?? []).join(", ")}`,
          });
        }
      }
    }
  }
  const trap = genericPlanTrap(plan.generic, plan.timing?.plan ?? null, schema, largeRows);
  if (trap) problems.push(trap);
  return problems;
}

/** An index scan that visits the heap only for one or two narrow columns: INCLUDE them and it becomes index-only. */
function heapFetchProblem(node: PlanNode, table: string, schema: SchemaInfo, statementText: string): Problem | null {
  // A bitmap heap scan's index is its Bitmap Index Scan child's (one index only: no BitmapAnd/Or).
  const indexName = (node["Index Name"] ?? (node.Plans?.length === 1 && node.Plans[0]!["Node Type"] === "Bitmap Index Scan" ? node.Plans[0]!["Index Name"] : undefined)) as string | undefined;
  const info = schema.get(table);
  const index = info?.indexes.find((i) => i.name === indexName);
  if (!info || !index || index.method !== "btree" || index.constraint) return null;
  const alias = (node.Alias as string | undefined) ?? table;
  const needed = new Set(neededColumns(statementText, alias, info.columns));
  const stored = new Set([...index.keys, ...index.include].map((k) => k.replace(/ DESC$/, "").replace(/^"|"$/g, "")));
  const missing = [...needed].filter((c) => !stored.has(c));
  if (missing.length === 0 || missing.length > MAX_INCLUDE_COLUMNS) return null;
  if (missing.some((c) => (info.columns.get(c)?.avgWidth ?? Infinity) > MAX_INCLUDE_WIDTH)) return null;
  return {
    kind: "heap-fetches",
    table,
    node,
    index: index.name,
    missingColumns: missing,
    detail: `${node["Node Type"]} using ${index.name} fetches ${fmt(actualRows(node))} heap rows only for ${missing.join(", ")}; INCLUDE ${missing.length > 1 ? "them" : "it"} and the scan can be index-only`,
  };
}

function totalCost(plan: ExplainResult): number {
  return (plan.Plan["Total Cost"] as number | undefined) ?? 0;
}

function genericPlanTrap(generic: ExplainResult | null, custom: ExplainResult | null, schema: SchemaInfo, largeRows: number): Problem | null {
  if (!generic || !custom) return null;
  const g = totalCost(generic);
  const c = totalCost(custom);
  const genericSeq = [...nodesWithAncestors(generic.Plan)].find(({ node }) => SEQ_SCANS.has(node["Node Type"]) && (schema.get(node["Relation Name"] as string)?.rows ?? 0) >= largeRows);
  const customSeq = [...nodesWithAncestors(custom.Plan)].some(({ node }) => SEQ_SCANS.has(node["Node Type"]) && (schema.get(node["Relation Name"] as string)?.rows ?? 0) >= largeRows);
  if (g >= GENERIC_TRAP_COST_RATIO * Math.max(c, 1) || (genericSeq && !customSeq)) {
    return {
      kind: "generic-plan-trap",
      table: (genericSeq?.node["Relation Name"] as string | undefined) ?? null,
      detail:
        `the generic plan (parameters unknown) costs ${g.toFixed(0)} against ${c.toFixed(0)} with values${genericSeq && !customSeq ? ` and reads ${genericSeq.node["Relation Name"]} sequentially` : ""}: ` +
        "once a prepared statement switches to it (after 5 executions) every call pays that. Send it unprepared, or set plan_cache_mode = force_custom_plan for it",
    };
  }
  return null;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (x: number) => formatPercent(x, "auto");
