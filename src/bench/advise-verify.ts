// Does advise's before/after agree with what `npm run verify -- --catalog`
// measures for the same queries before and after `npm run migrate`? (issue
// #26, Done when: within 2x.) For each accepted candidate's read statements a
// verify catalog entry is made with advise's own plannable text and value sets
// (one variant per set); verify's runCatalog times them, the accepted indexes
// are built as their migrations build them (CREATE INDEX CONCURRENTLY, no
// ANALYZE), verify times them again, and the indexes are dropped so a kept
// scratch database stays as it was. Ratios of figures measured in one run:
// printed by the benchmark, never asserted by a test.
import type { AdviseReport } from "../advise/advise.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { quoteIdent } from "../db/quote.ts";
import { runCatalog, type CatalogRun } from "../verify/run-catalog.ts";

export interface Agreement {
  readonly candidate: string;
  readonly statement: string;
  readonly valueSets: number;
  readonly advise: { readonly beforeMs: number; readonly afterMs: number };
  readonly verify: { readonly beforeMs: number; readonly afterMs: number };
  /** max/min of advise's and verify's figure, before and after. */
  readonly beforeRatio: number;
  readonly afterRatio: number;
  readonly within2x: boolean;
}

const literal = (v: string | null) => (v === null ? "NULL" : `'${v.replaceAll("'", "''")}'`);
const isRead = (sql: string) => /^\s*(SELECT|WITH)\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|MERGE)\b/i.test(sql);
const ratio = (a: number, b: number) => Math.max(a, b) / Math.max(Math.min(a, b), 0.001);

/** One catalog entry per read statement an accepted candidate serves, one variant per value set advise measured it with. */
function catalogOf(report: AdviseReport): { entries: CatalogEntry[]; of: Map<string, { candidate: string; statement: string }> } {
  const entries: CatalogEntry[] = [];
  const of = new Map<string, { candidate: string; statement: string }>();
  for (const [i, c] of report.candidates.entries()) {
    if (!c.accepted || !c.afterMs) continue;
    for (const a of c.afterMs) {
      const s = report.statements.find((x) => x.id === a.statement);
      const sets = s?.values.sets?.slice(0, a.valueSets) ?? [];
      if (!s || sets.length === 0 || !isRead(s.values.plannableSql)) continue;
      const name = `c${i + 1}_${entries.length + 1}`;
      const params = Object.fromEntries(sets.map((set, k) => [`set_${k + 1}`, set.length ? `SELECT ${set.map(literal).join(", ")}` : "SELECT"]));
      entries.push({ name, title: s.label, kind: "analytics", sql: s.values.plannableSql, params, expectIndexes: [], budgetMs: 1e9, budgetBuffers: null, budgetRows: null, seqScanOk: true, prepared: false, reason: "advise-workload: advise against verify" });
      of.set(name, { candidate: c.name, statement: s.label });
    }
  }
  return { entries, of };
}

/** Per entry: the mean over its variants of verify's server time (the fastest EXPLAIN ANALYZE run of each). */
function serverMs(run: CatalogRun, name: string): number | null {
  const q = run.queries.find((x) => x.name === name);
  if (!q || q.error || q.variants.length === 0) return null;
  return q.variants.reduce((s, v) => s + v.server.min, 0) / q.variants.length;
}

async function buildAccepted(sql: Sql, report: AdviseReport): Promise<string[]> {
  const built: string[] = [];
  for (const c of report.candidates.filter((x) => x.accepted)) {
    await sql.unsafe(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(c.name)} ON ${quoteIdent(c.table)} ${c.definition}`);
    built.push(c.name);
  }
  return built;
}

export async function compareWithVerify(target: DatabaseTarget, report: AdviseReport, log: (line: string) => void): Promise<Agreement[]> {
  const { entries, of } = catalogOf(report);
  if (entries.length === 0) return [];
  const options = { runs: 5, warmup: 1, explainRuns: 5, statsSamples: 0 };
  return withSql(target, async (sql) => {
    log(`verify --catalog (${entries.length} statement(s) of the accepted candidates), before the indexes ...`);
    const before = await runCatalog(sql, entries, options);
    const built = await buildAccepted(sql, report);
    try {
      log(`... and after building ${built.length} index(es) as their migrations do`);
      const after = await runCatalog(sql, entries, options);
      const out: Agreement[] = [];
      for (const e of entries) {
        const who = of.get(e.name)!;
        const c = report.candidates.find((x) => x.name === who.candidate)!;
        const id = report.statements.find((x) => x.label === who.statement)?.id;
        const a = c.afterMs!.find((x) => x.statement === id)!;
        const b = c.beforeMs.find((x) => x.statement === id)!;
        const vb = serverMs(before, e.name);
        const va = serverMs(after, e.name);
        if (vb === null || va === null) continue;
        const beforeRatio = ratio(b.ms, vb);
        const afterRatio = ratio(a.ms, va);
        out.push({ candidate: c.name, statement: who.statement, valueSets: a.valueSets, advise: { beforeMs: b.ms, afterMs: a.ms }, verify: { beforeMs: round(vb), afterMs: round(va) }, beforeRatio: round(beforeRatio), afterRatio: round(afterRatio), within2x: beforeRatio <= 2 && afterRatio <= 2 });
      }
      return out;
    } finally {
      for (const name of built) await sql.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(name)}`);
    }
  }, { max: 1, applicationName: "bollalabz-db/bench" });
}

export function formatAgreement(rows: readonly Agreement[]): string[] {
  if (rows.length === 0) return ["advise against verify --catalog: no accepted read candidate to compare"];
  const ok = rows.filter((r) => r.within2x).length;
  return [
    `advise against verify --catalog (server ms per call, mean over the same value sets; verify's fastest EXPLAIN ANALYZE): ${ok} of ${rows.length} pairs within 2x`,
    ...rows.map((r) => `- ${r.candidate} / ${r.statement}: advise ${r.advise.beforeMs} -> ${r.advise.afterMs}, verify ${r.verify.beforeMs} -> ${r.verify.afterMs} (ratio before ${r.beforeRatio}, after ${r.afterRatio}; ${r.valueSets} value set(s))${r.within2x ? "" : "  OUTSIDE 2x"}`),
  ];
}

const round = (x: number) => Math.round(x * 1000) / 1000;
