// Reads an EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) plan: which scans ran on
// which tables and indexes, whether a large table was read sequentially, and
// whether the indexes a catalog entry expects were used.
import type { ExplainResult, PlanNode } from "./explain.ts";
import type { CatalogEntry } from "./types.ts";

/**
 * A sequential scan on a table with at least this many rows (planner
 * estimate) fails an entry that does not allow one: below it a seq scan is
 * often the cheapest plan and says nothing about a missing index.
 */
export const SEQ_SCAN_ROW_THRESHOLD = 5_000;

export interface ScanNode {
  readonly nodeType: string;
  readonly table: string | null;
  readonly index: string | null;
  /**
   * PostgreSQL 18's "Index Searches" of an index scan node (EXPLAIN ANALYZE)
   * per loop: descents into the index. More than one is a skip scan or an IN
   * list; absent before 18 and for other nodes.
   */
  readonly indexSearches?: number;
}

export interface SeqScan {
  readonly table: string;
  readonly estimatedRows: number;
}

export interface PlanSummary {
  /** Node type -> how many times it occurs. */
  readonly nodeTypes: Readonly<Record<string, number>>;
  readonly scans: readonly ScanNode[];
  readonly indexesUsed: readonly string[];
  readonly seqScans: readonly SeqScan[];
  /** Sequential scans on tables at or above the row threshold. */
  readonly largeSeqScans: readonly SeqScan[];
  readonly expectedIndexes: readonly string[];
  readonly expectMode: "all" | "any";
  readonly missingIndexes: readonly string[];
  readonly expectedIndexUsed: boolean;
  /**
   * The expected index was not used, but every table the plan read is below
   * the row threshold: a sequential scan is the cheaper plan there and says
   * nothing about the index (it is used once the table grows).
   */
  readonly expectationWaived: boolean;
  readonly sharedHitBlocks: number;
  readonly sharedReadBlocks: number;
  readonly executionMs: number | null;
  readonly planningMs: number | null;
  readonly actualRows: number | null;
}

export interface PlanAnalysisOptions {
  /** Row estimate per table (pg_class.reltuples). */
  readonly tableRows: ReadonlyMap<string, number>;
  readonly seqScanRowThreshold?: number;
}

const SEQ_SCAN_TYPES = new Set(["Seq Scan", "Parallel Seq Scan"]);

/** Every node of a plan, depth first. */
export function* planNodes(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* planNodes(child);
}

export function analyzePlan(
  explain: ExplainResult,
  expectation: Pick<CatalogEntry, "expectIndexes" | "expectMode">,
  options: PlanAnalysisOptions,
): PlanSummary {
  const threshold = options.seqScanRowThreshold ?? SEQ_SCAN_ROW_THRESHOLD;
  const nodeTypes: Record<string, number> = {};
  const scans: ScanNode[] = [];
  const indexes = new Set<string>();
  const seqScans: SeqScan[] = [];
  for (const node of planNodes(explain.Plan)) {
    // A branch that never ran (a one-time filter was false) costs nothing and uses nothing.
    if (node["Actual Loops"] === 0) continue;
    const type = node["Node Type"];
    nodeTypes[type] = (nodeTypes[type] ?? 0) + 1;
    const table = node["Relation Name"] ?? null;
    const index = node["Index Name"] ?? null;
    const searches = typeof node["Index Searches"] === "number" ? (node["Index Searches"] as number) / Math.max(1, node["Actual Loops"] ?? 1) : null;
    if (table !== null || index !== null) scans.push({ nodeType: type, table, index, ...(searches !== null ? { indexSearches: searches } : {}) });
    if (index !== null) indexes.add(index);
    if (SEQ_SCAN_TYPES.has(type) && table !== null) seqScans.push({ table, estimatedRows: options.tableRows.get(table) ?? 0 });
  }
  const expectMode = expectation.expectMode ?? "all";
  const expected = [...expectation.expectIndexes];
  const missing = expected.filter((name) => !indexes.has(name));
  const expectedIndexUsed = expected.length === 0 || (expectMode === "all" ? missing.length === 0 : missing.length < expected.length);
  const tablesRead = scans.map((s) => s.table).filter((t): t is string => t !== null);
  const expectationWaived = !expectedIndexUsed && tablesRead.length > 0 && tablesRead.every((t) => (options.tableRows.get(t) ?? 0) < threshold);
  return {
    nodeTypes,
    scans,
    indexesUsed: [...indexes].sort(),
    seqScans,
    largeSeqScans: seqScans.filter((s) => s.estimatedRows >= threshold),
    expectedIndexes: expected,
    expectMode,
    missingIndexes: expectedIndexUsed ? [] : missing,
    expectedIndexUsed,
    expectationWaived,
    sharedHitBlocks: explain.Plan["Shared Hit Blocks"] ?? 0,
    sharedReadBlocks: explain.Plan["Shared Read Blocks"] ?? 0,
    executionMs: explain["Execution Time"] ?? null,
    planningMs: explain["Planning Time"] ?? null,
    actualRows: explain.Plan["Actual Rows"] ?? null,
  };
}

/**
 * Why a plan fails its entry (empty = it passes): an expected index not used
 * (naming the ones that do not exist at all, the usual cause), or a sequential
 * scan on a large table where the entry does not allow one.
 */
export function planFailures(summary: PlanSummary, entry: Pick<CatalogEntry, "seqScanOk">, existingIndexes?: ReadonlySet<string>): string[] {
  const failures: string[] = [];
  if (!summary.expectedIndexUsed && !summary.expectationWaived) {
    const absent = existingIndexes ? summary.missingIndexes.filter((i) => !existingIndexes.has(i)) : [];
    const what = summary.expectMode === "any" ? `none of the expected indexes (${summary.expectedIndexes.join(", ")}) was used` : `expected index ${summary.missingIndexes.join(", ")} not used`;
    const used = summary.indexesUsed.length > 0 ? `; plan used ${summary.indexesUsed.join(", ")}` : "; plan used no index";
    const hint = absent.length > 0 ? ` (${absent.join(", ")} does not exist: run 'npm run migrate')` : "";
    failures.push(`${what}${used}${hint}`);
  }
  if (!entry.seqScanOk) {
    for (const s of summary.largeSeqScans) failures.push(`sequential scan on ${s.table} (~${s.estimatedRows.toLocaleString("en-US")} rows)`);
  }
  return failures;
}

/** One short line for tables: the scans of a plan. */
export function describeScans(summary: PlanSummary): string {
  // 18's Index Searches, when one execution descends more than once per loop (skip scan, IN list).
  const searches = (s: ScanNode) => (s.indexSearches && s.indexSearches > 1 ? ` ${+s.indexSearches.toFixed(1)} searches` : "");
  const parts = summary.scans.map((s) => (s.index ? `${s.nodeType.replace(/ Scan$/, "")}(${s.index}${searches(s)})` : `${s.nodeType}(${s.table})`));
  return [...new Set(parts)].join(", ") + (summary.expectationWaived ? " [small table: seq scan is the cheaper plan]" : "");
}
