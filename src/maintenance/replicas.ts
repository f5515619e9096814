// Maintenance across nodes. Index scan counters are per server: a replica
// counts the scans of the reads it serves, the primary never sees them. So an
// index is called unused only when its counters are zero on the primary AND
// on every replica, and only when every node's counters are old enough. The
// replication slots (read on the primary) show which replica is gone and how
// much WAL its slot holds back (src/replication/slots.ts). Every figure says
// which node it came from.
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { indexUsage, type IndexUsage } from "../checks/index-health.ts";
import { countersAge, type CountersAge, type UnusedIndexReport } from "./unused-indexes.ts";

export interface NodeIndexUsage {
  /** "primary", "replica-1", ... */
  readonly node: string;
  /** Masked URL. */
  readonly database: string;
  readonly counters: CountersAge;
  readonly usage: readonly IndexUsage[];
}

export interface IndexScansByNode {
  readonly table: string;
  readonly index: string;
  /** node -> idx_scan on that node */
  readonly scans: Readonly<Record<string, number>>;
}

export interface MergedUnusedReport extends UnusedIndexReport {
  /** The nodes whose counters were merged, with each one's counter age. */
  readonly nodes: readonly { readonly node: string; readonly database: string; readonly counters: CountersAge }[];
  /** Zero scans on the primary, but scanned on a replica: NOT unused (this is what the merge is for). */
  readonly usedOnReplicasOnly: readonly IndexScansByNode[];
}

/** idx_scan and counter age on one replica (exit 3 when it does not answer: without its counters nothing can be called unused). */
export async function replicaIndexUsage(target: DatabaseTarget, node: string, schema = "public"): Promise<NodeIndexUsage> {
  return withSql(target, async (sql) => ({ node, database: target.display, counters: await countersAge(sql), usage: await indexUsage(sql, schema) }), {
    max: 1,
    applicationName: "bollalabz-maintenance",
  });
}

/**
 * Merge: the primary's zero-scan candidates minus those any replica scanned;
 * the verdict needs every node's counters to cover `minDays`.
 */
export function mergeUnusedAcrossNodes(primary: UnusedIndexReport, primaryDatabase: string, replicas: readonly NodeIndexUsage[]): MergedUnusedReport {
  const scansOn = replicas.map((r) => ({ node: r.node, byIndex: new Map(r.usage.map((u) => [`${u.table}.${u.index}`, u.scans])) }));
  const unused: IndexUsage[] = [];
  const usedOnReplicasOnly: IndexScansByNode[] = [];
  for (const candidate of primary.indexes) {
    const key = `${candidate.table}.${candidate.index}`;
    const scans: Record<string, number> = { primary: candidate.scans };
    for (const r of scansOn) scans[r.node] = r.byIndex.get(key) ?? 0;
    if (Object.values(scans).some((n) => n > 0)) usedOnReplicasOnly.push({ table: candidate.table, index: candidate.index, scans });
    else unused.push(candidate);
  }
  let { verdict, reason } = primary;
  if (verdict === "judged") {
    const young = replicas.find((r) => !r.counters.trackCounts || r.counters.days < primary.minDays);
    if (young) {
      verdict = "not-enough-data";
      reason = !young.counters.trackCounts
        ? `track_counts is off on ${young.node}: it does not count index scans`
        : `the scan counters on ${young.node} cover ${young.counters.days < 1 ? `${(young.counters.days * 24).toFixed(1)} hours` : `${young.counters.days.toFixed(1)} days`}; at least ${primary.minDays} days are needed on every node`;
    }
  }
  return {
    ...primary,
    verdict,
    reason,
    indexes: unused,
    nodes: [{ node: "primary", database: primaryDatabase, counters: primary.counters }, ...replicas.map((r) => ({ node: r.node, database: r.database, counters: r.counters }))],
    usedOnReplicasOnly,
  };
}

