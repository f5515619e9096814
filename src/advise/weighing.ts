// Reads against writes, per candidate: the time it saves per hour of the
// observed workload (pg_stat_statements calls x the measured saving) against
// the write time it adds per hour at the table's observed write rate (deltas
// since the previous advise run, write-rates.ts, x the measured cost per row).
import type { Sql } from "../db/index.ts";
import type { StatementPlan } from "./plans.ts";
import type { WriteCost } from "./write-cost.ts";
import { describeWriteRate, type WriteRate } from "./write-rates.ts";

export interface StatementEffect {
  readonly statement: string;
  /** Sum over the value sets of the fastest timed run per set (the accept rule judges these sums). */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly valueSets: number;
  /** Per value set: before -> after (ms). */
  readonly perSet: readonly { readonly beforeMs: number; readonly afterMs: number }[];
  /** The plan with the candidate used it. */
  readonly usesIndex: boolean;
  readonly indexesAfter: readonly string[];
}

export interface WriteOverhead {
  /** The table's write rate since the previous advise run (write-rates.ts), or why it is unknown. */
  readonly rate: WriteRate;
  /** Indexes each insert and non-HOT update already maintains. */
  readonly existingIndexes: number;
  readonly summary: string;
}

/** Time saved per hour of the observed workload against write time added at the observed write rate. */
export interface Weighing {
  /** Calls per hour of each statement (pg_stat_statements calls over its statistics period), when known. */
  readonly callsPerHour: number | null;
  readonly savedMsPerHour: number | null;
  /** The table's write rate since the previous advise run; null when unknown (the first run, a reset). */
  readonly insertsPerHour: number | null;
  readonly updatesPerHour: number | null;
  readonly writeMsPerHour: number | null;
  /** saved - write cost, ms per hour (the rank); null when either side is unknown. */
  readonly netMsPerHour: number | null;
  readonly summary: string;
}

/** What one more index means for the table's writes at its observed rate (the line shown before the write cost is measured). */
export async function writeOverheadOf(sql: Sql, table: string, rate: WriteRate): Promise<WriteOverhead> {
  const [row] = await sql<{ indexes: number }[]>`SELECT count(*)::int AS indexes FROM pg_index WHERE indrelid = to_regclass(${table}) /* bollalabz-db */`;
  const indexes = row?.indexes ?? 0;
  return {
    rate,
    existingIndexes: indexes,
    summary: `${describeWriteRate(table, rate)}; each insert and non-HOT update maintains ${indexes} index(es), this adds one more (about +${(100 / Math.max(indexes, 1)).toFixed(0)}% index work per write)`,
  };
}

/** Hours pg_stat_statements' counters cover (since its reset, else the server start). */
export async function statementHours(sql: Sql): Promise<number> {
  const [row] = await sql<{ hours: number | null }[]>`
    SELECT (SELECT extract(epoch FROM now() - stats_reset) / 3600 FROM pg_stat_statements_info)::float8 AS hours /* bollalabz-db */`.catch(
    async () => sql<{ hours: number | null }[]>`SELECT (extract(epoch FROM now() - pg_postmaster_start_time()) / 3600)::float8 AS hours /* bollalabz-db */`,
  );
  return Math.max(row?.hours ?? 1, 1 / 3600);
}

const f = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(1)} ms`);

/** Weigh a candidate: time it saves per hour against write time it adds per hour. */
export function weigh(effects: readonly StatementEffect[], plans: readonly StatementPlan[], cost: WriteCost | null, statementHoursCovered: number, rate: WriteRate): Weighing {
  let known = true;
  let saved = 0;
  let calls = 0;
  for (const e of effects) {
    const p = plans.find((x) => x.statement.id === e.statement);
    if (!p?.statement.calls) {
      known = false;
      continue;
    }
    const perHour = p.statement.calls / statementHoursCovered;
    calls += perHour;
    saved += perHour * ((e.beforeMs - e.afterMs) / Math.max(e.valueSets, 1));
  }
  const measured = cost && (cost.insertMsPerRow !== null || cost.updateMsPerRow !== null);
  const writeMs = measured && rate.known ? rate.insertsPerHour * (cost.insertMsPerRow ?? 0) + rate.updatesPerHour * (cost.updateMsPerRow ?? 0) : null;
  const savedMs = known && effects.length ? saved : null;
  const net = savedMs !== null && writeMs !== null ? savedMs - writeMs : null;
  const perRow = cost ? `${cost.insertMsPerRow?.toFixed(4) ?? "?"} ms per insert, ${cost.updateMsPerRow?.toFixed(4) ?? "?"} ms per non-HOT update` : "";
  const summary = [
    savedMs !== null ? `saves ${f(savedMs)} per hour (${Math.round(calls)} calls/h, pg_stat_statements totals over ${statementHoursCovered.toFixed(2)} h)` : "time saved per hour unknown (no call counts: a catalog workload)",
    !measured
      ? "write time per hour not measured"
      : !rate.known
        ? `write time per hour unknown (${perRow} measured; ${rate.why})`
        : `adds ${f(writeMs!)} of write time per hour (${Math.round(rate.insertsPerHour)} inserts/h x ${cost!.insertMsPerRow?.toFixed(4) ?? "?"} ms, ${Math.round(rate.updatesPerHour)} non-HOT updates/h x ${cost!.updateMsPerRow?.toFixed(4) ?? "?"} ms; rates since the previous advise run, ${rate.since})`,
    net !== null ? `net ${net >= 0 ? "+" : "-"}${f(Math.abs(net))} per hour` : "",
  ].filter(Boolean).join("; ");
  return {
    callsPerHour: known ? round(calls) : null,
    savedMsPerHour: savedMs === null ? null : round(savedMs),
    insertsPerHour: rate.known ? round(rate.insertsPerHour) : null,
    updatesPerHour: rate.known ? round(rate.updatesPerHour) : null,
    writeMsPerHour: writeMs === null ? null : round(writeMs),
    netMsPerHour: net === null ? null : round(net),
    summary,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
