// The maintenance report for a terminal: one short section per check, each
// finding with what to do about it.
import { formatBytes, formatPercent } from "../base/format.ts";
import type { MaintenanceReport } from "./run.ts";

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => "  " + cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), "  " + widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const pct = (fraction: number) => formatPercent(fraction, "auto");
const when = (d: Date | null) => (d ? d.toISOString().replace(/\.\d+Z$/, "Z") : "never");

export function formatMaintenanceReport(r: MaintenanceReport): string {
  const sections = [analyzeSection, reindexSection, invalidSection, unusedSection, slotsSection, redundancySection, bloatSection, tableHealthSection, sizesSection, resultSection];
  return [`maintenance of ${r.database} (PostgreSQL ${r.serverVersion}, ${formatBytes(r.databaseBytes)})`, "", ...sections.flatMap((section) => section(r))].join("\n");
}

/** ANALYZE: what ran, on which tables and why. */
function analyzeSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  const a = r.analyze;
  out.push(
    a.mode === "none"
      ? "ANALYZE: skipped (--analyze none)"
      : `ANALYZE (${a.mode}): ${a.analyzed.length} of ${a.tablesChecked} table(s) in ${a.ms.toFixed(0)} ms${a.analyzed.length ? `: ${a.analyzed.map((t) => `${t.table} (${t.reason})`).join(", ")}` : a.mode === "stale" ? " (all statistics fresh)" : ""}`,
  );
  return out;
}

/** REINDEX CONCURRENTLY results, with leftovers to drop. */
function reindexSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  if (r.reindex.requested) {
    out.push("", `REINDEX CONCURRENTLY (bloat >= ${r.bloat.threshold.percent}% and >= ${formatBytes(r.bloat.threshold.bytes)}, lock_timeout ${r.reindex.lockTimeout}):`);
    if (r.reindex.results.length === 0) out.push("  no index passes the threshold");
    else
      out.push(
        table(
          ["index", "table", "result", "before", "after", "time"],
          r.reindex.results.map((x) => [x.index, x.table, x.status, formatBytes(x.bytesBefore), x.bytesAfter === null ? "-" : formatBytes(x.bytesAfter), `${x.ms.toFixed(0)} ms`]),
          new Set([3, 4, 5]),
        ),
      );
    for (const x of r.reindex.results) {
      if (x.detail && x.status !== "skipped") out.push(`  ${x.index}: ${x.detail}`);
      if (x.droppedLeftovers.length) out.push(`  dropped the INVALID leftover(s) of the failed REINDEX: ${x.droppedLeftovers.join(", ")}`);
      for (const left of x.remainingLeftovers) out.push(`  INVALID leftover ${left} could not be dropped yet. Fix: DROP INDEX CONCURRENTLY "${left}";`);
    }
  }
  return out;
}

/** Invalid indexes, each with its fix. */
function invalidSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  out.push("", "invalid indexes:");
  if (r.invalid.length === 0) out.push("  none");
  for (const i of r.invalid) out.push(`  ${i.index} on ${i.table} — never used by queries, still written on every change. Fix: DROP INDEX CONCURRENTLY "${i.index}"; then recreate it (npm run migrate rebuilds the project's own)`);
  return out;
}

/** Unused indexes, judged on every node when replicas are given. */
function unusedSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  const u = r.unused;
  const merged = "nodes" in u ? u : undefined;
  out.push("", `unused indexes (zero scans since ${when(u.counters.since)}, ${u.counters.source}${merged ? `; on every node: ${merged.nodes.map((n) => n.node).join(", ")}` : "; primary only: pass --replica URL for each read replica, whose scans the primary never sees"}):`);
  for (const n of merged?.nodes ?? []) out.push(`  ${n.node}: ${n.database}, counters since ${when(n.counters.since)} (${n.counters.days.toFixed(1)} days)`);
  if (merged && merged.usedOnReplicasOnly.length > 0) {
    out.push(`  NOT unused — no scans on the primary, but scanned on a replica (idx_scan per node):`);
    out.push(table(["index", "table", ...merged.nodes.map((n) => n.node)], merged.usedOnReplicasOnly.map((x) => [x.index, x.table, ...merged.nodes.map((n) => String(x.scans[n.node] ?? 0))]), new Set(merged.nodes.map((_, i) => i + 2))));
  }
  if (u.verdict === "not-enough-data") {
    out.push(`  not enough data yet: ${u.reason}`);
    const names = u.indexes.map((i) => i.index);
    if (names.length) out.push(`  ${names.length} index(es) have no scans so far (not judged): ${names.slice(0, 8).join(", ")}${names.length > 8 ? `, ... (all in --json)` : ""}`);
  } else if (u.indexes.length === 0) out.push("  none");
  else {
    out.push(table(["index", "table", "size"], u.indexes.map((i) => [i.index, i.table, formatBytes(i.indexBytes)]), new Set([2])));
    out.push("  (unique and primary keys are never listed; an index that serves a rare monthly job can still look unused)");
  }
  return out;
}

/** Replication slots and the WAL inactive ones hold back. */
function slotsSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  const slots = r.replicationSlots;
  out.push("", `replication slots (read on the ${slots.node}):`);
  if (slots.slots.length === 0) out.push("  none");
  else {
    out.push(table(["slot", "type", "state", "WAL held back", "wal_status"], slots.slots.map((x) => [x.slotName, x.slotType, x.active ? "active" : "INACTIVE", x.retainedBytes === null ? "-" : formatBytes(x.retainedBytes), x.walStatus ?? "-"]), new Set([3])));
    if (slots.inactive.length > 0) {
      out.push(`  ${slots.inactive.length} inactive slot(s) hold back ${formatBytes(slots.inactiveRetainedBytes)} of WAL on the primary's disk until their replica reconnects. Fix: restart the replica, or if it is gone for good: SELECT pg_drop_replication_slot('<slot>');`);
    }
  }
  return out;
}

/** Redundant indexes, and those another index serves nearly as well. */
function redundancySection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  out.push("", "redundant indexes:");
  if (r.redundant.length === 0) out.push("  none");
  else out.push(table(["index", "table", "covered by", "size"], r.redundant.map((x) => [x.index, x.table, x.coveredBy, formatBytes(x.indexBytes)]), new Set([3])));

  out.push("", "indexes another index serves nearly as well (measured: each hidden in a rolled-back transaction, the workload re-planned):");
  if ("skipped" in r.overlaps) out.push(`  not measured: ${r.overlaps.skipped}`);
  else if (r.overlaps.measured.length === 0) out.push(`  none of the indexes the workload uses (${r.overlaps.workload})`);
  else out.push(table(["index", "redundant", "size", "verdict"], r.overlaps.measured.map((o) => [o.index, o.redundant ? "yes" : "no", formatBytes(o.bytes), o.verdict]), new Set([2])));
  return out;
}

/** Estimated btree bloat and REINDEX candidates. */
function bloatSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  const flagged = r.bloat.indexes.filter((b) => b.bloatPercent >= r.bloat.threshold.percent && b.bloatBytes > 0).slice(0, 15);
  out.push("", `estimated btree bloat (>= ${r.bloat.threshold.percent}%; REINDEX candidates also >= ${formatBytes(r.bloat.threshold.bytes)}):`);
  if (flagged.length === 0) out.push(`  none of ${r.bloat.indexes.length} btree indexes`);
  else
    out.push(
      table(
        ["index", "table", "size", "bloat", "%", "reindex?"],
        flagged.map((b) => [b.index, b.table, formatBytes(b.indexBytes), formatBytes(b.bloatBytes), `${b.bloatPercent.toFixed(1)}`, b.reindexCandidate ? "yes" : b.unreliable ? "no (estimate unreliable)" : "no (small)"]),
        new Set([2, 3, 4]),
      ),
    );
  return out;
}

/** Dead tuples and sequences near overflow. */
function tableHealthSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  out.push("", "tables with many dead tuples:");
  if (r.deadTuples.length === 0) out.push("  none");
  else {
    out.push(table(["table", "live", "dead", "dead %", "last vacuum"], r.deadTuples.map((t) => [t.table, String(t.liveRows), String(t.deadRows), pct(t.deadFraction), when(t.lastVacuum)]), new Set([1, 2, 3])));
    out.push("  (autovacuum is behind: VACUUM (ANALYZE) <table>; or lower autovacuum_vacuum_scale_factor for it)");
  }

  out.push("", `sequences near overflow (>= ${pct(r.sequences.warnAtFraction)} of the column's range):`);
  if (r.sequences.nearOverflow.length === 0) out.push("  none");
  else out.push(table(["sequence", "column", "last value", "max", "used"], r.sequences.nearOverflow.map((s) => [s.sequence, `${s.column ?? "-"} ${s.columnType ?? ""}`, String(s.lastValue), String(s.maxValue), pct(s.usedFraction)]), new Set([2, 3, 4])));
  return out;
}

/** Largest tables and indexes. */
function sizesSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  out.push("", `largest tables:`);
  out.push(table(["table", "total", "table", "indexes", "rows (est.)"], r.largestTables.map((t) => [t.table, formatBytes(t.totalBytes), formatBytes(t.tableBytes), formatBytes(t.indexBytes), String(t.estimatedRows)]), new Set([1, 2, 3, 4])));
  out.push("", `largest indexes (scans counted on the primary):`);
  out.push(table(["index", "table", "size", "scans"], r.largestIndexes.map((i) => [i.index, i.table, formatBytes(i.indexBytes), String(i.scans)]), new Set([2, 3])));
  return out;
}

/** pg_stat_statements readiness and the verdict line. */
function resultSection(r: MaintenanceReport): string[] {
  const out: string[] = [];
  if (!r.pgStatStatements.ok) {
    const failed = r.pgStatStatements.steps.find((s) => !s.ok);
    out.push("", `pg_stat_statements not ready (${failed?.step}): ${failed?.detail}. Fix: ${failed?.fix}`);
  }
  const problems = [
    ...(r.invalid.length ? [`${r.invalid.length} invalid index(es)`] : []),
    ...(r.reindex.requested && r.reindex.stopped ? ["REINDEX stopped before it finished"] : []),
  ];
  out.push("", problems.length ? `result: ${problems.join("; ")} (exit ${r.exitCode})` : `result: ok (${(r.durationMs / 1000).toFixed(1)} s)`);
  return out;
}
