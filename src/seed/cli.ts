// Shared by `npm run seed` and `npm start`.
import { UserError } from "../base/errors.ts";
import { integerFlag, positiveNumberFlag } from "../base/flags.ts";
import { formatMs } from "../base/format.ts";
import { progressBar, type ProgressBar } from "../base/progress.ts";
import { anchorText, type SeedProgress, type SeedResult } from "./generate.ts";
import { SEED_INDEX_MODES, type SeedIndexMode } from "./indexes.ts";
import { SEED_TABLES, insertColumns, type ColumnShare } from "./tables.ts";

export const DEFAULT_SEED = 42;

/** --scale and --seed as every command that seeds declares them in its flag spec (read them with dataSetFlags); `scaleHelp` says what a scale means there and its default. */
export function dataSetOptions(scaleHelp: string, seedHelp = `random seed (default ${DEFAULT_SEED})`) {
  return { options: { scale: { type: "string" }, seed: { type: "string" } }, help: { scale: scaleHelp, seed: seedHelp } } as const;
}

/** --scale and --seed as every command that seeds reads them (one parse, one range: scale up to 100). */
export function dataSetFlags(values: { readonly scale?: string; readonly seed?: string }, defaultScale: number): { scale: number; seed: number } {
  return { scale: positiveNumberFlag("scale", values.scale, defaultScale, 100), seed: integerFlag("seed", values.seed, DEFAULT_SEED) };
}

export function parseAnchor(raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== raw) {
    throw new UserError(`--anchor must be a date as YYYY-MM-DD, got '${raw}'. Example: --anchor 2026-01-31`);
  }
  return date;
}

export function parseIndexMode(raw: string | undefined): SeedIndexMode {
  if (raw === undefined) return "rebuild";
  if ((SEED_INDEX_MODES as readonly string[]).includes(raw)) return raw as SeedIndexMode;
  throw new UserError(`--indexes must be one of ${SEED_INDEX_MODES.join(", ")}, got '${raw}'. Example: --indexes keep`);
}

/**
 * --nulls / --hot TABLE.COLUMN=SHARE (repeatable): SHARE (0..1) of the rows
 * get NULL, or the value 1 (the first contact or person: one big tenant).
 * Every bad value is reported at once.
 */
export function parseColumnShares(flag: "nulls" | "hot", raw: readonly string[] | undefined): ColumnShare[] {
  const shares: ColumnShare[] = [];
  const problems: string[] = [];
  for (const item of raw ?? []) {
    const m = /^(\w+)\.(\w+)=([0-9.]+)$/.exec(item.trim());
    const table = m ? SEED_TABLES.find((t) => t.table === m[1]) : undefined;
    const share = m ? Number(m[3]) : NaN;
    if (!m) problems.push(`--${flag} ${item}: expected TABLE.COLUMN=SHARE, e.g. --${flag} ${flag === "hot" ? "conversation_messages.contact_id=0.3" : "phone_contacts.company=0.9"}`);
    else if (!table) problems.push(`--${flag} ${item}: no seeded table '${m[1]}' (one of ${SEED_TABLES.map((t) => t.table).join(", ")})`);
    else if (m[2] === "id" || !insertColumns(table).includes(m[2]!)) problems.push(`--${flag} ${item}: ${m[1]} has no column '${m[2]}' the generator writes (one of ${insertColumns(table).filter((c) => c !== "id").join(", ")})`);
    else if (!(share >= 0 && share <= 1)) problems.push(`--${flag} ${item}: the share must be from 0 to 1, got ${m[3]}`);
    else shares.push({ table: table.table, column: m[2]!, share, value: flag === "nulls" ? null : 1 });
  }
  if (problems.length > 0) throw new UserError(problems.join("\n"));
  return shares;
}

/** The seed's progress on stderr: the index choice and why, a bar per table, the index rebuild as one bar. */
export function seedProgressDisplay(indent = ""): (event: SeedProgress) => void {
  let bar: ProgressBar | undefined;
  return (e) => {
    if (e.kind === "index-plan") process.stderr.write(`${indent}indexes: ${e.reason}\n`);
    else if (e.kind === "table-start") bar = progressBar(`${indent}[${e.index + 1}/${e.total}] ${e.table}`, e.rows);
    else if (e.kind === "chunk") bar?.update(e.done);
    else if (e.kind === "table-done") bar?.finish(`${indent}  ${e.table.padEnd(26)} ${String(e.rows).padStart(9)} rows  ${formatMs(e.ms)}`);
    else if (e.kind === "index-start") {
      bar ??= progressBar(`${indent}rebuild indexes`, e.total, "indexes");
      bar.update(e.done, e.name);
    } else if (e.kind === "indexes-done") bar?.finish(`${indent}  ${"rebuilt indexes".padEnd(26)} ${String(e.count).padStart(9)}       ${formatMs(e.ms)}`);
    else if (e.kind === "xmin-wait") {
      bar ??= progressBar(`${indent}waiting for older snapshots before VACUUM`, Math.ceil(e.timeoutMs / 1000), "s");
      bar.update(Math.floor(e.waitedMs / 1000), e.holders.map((h) => `${h.kind} ${h.name}`).join(", "));
    } else if (e.kind === "vacuum-start") {
      bar?.finish(`${indent}  ${"waited for snapshots".padEnd(26)}`);
      bar = progressBar(`${indent}${e.analyze ? "VACUUM ANALYZE" : "VACUUM"}`, 1, "steps");
    } else if (e.kind === "vacuum-done") bar?.finish(`${indent}  ${(e.analyze ? "VACUUM ANALYZE" : "VACUUM").padEnd(26)} ${"".padStart(9)}       ${formatMs(e.ms)}`);
    if (e.kind === "table-done" || e.kind === "indexes-done" || e.kind === "vacuum-done") bar = undefined;
  };
}

export function printSeedSummary(result: SeedResult): void {
  const rows = result.tables.reduce((sum, t) => sum + t.rows, 0);
  const indexes =
    result.indexes.strategy === "rebuild" ? `, of which rebuilding ${result.indexes.count} indexes ${formatMs(result.indexes.rebuildMs)}`
    : result.indexes.strategy === "keep" ? `, into ${result.indexes.count} kept indexes`
    : "";
  console.log(
    `seeded ${rows.toLocaleString("en-US")} rows at scale ${result.scale} (seed ${result.seed}, anchor ${anchorText(result.anchor)}) in ${formatMs(result.totalMs)} ` +
      `(load ${formatMs(result.insertMs)}${indexes}; vacuum analyze ${formatMs(result.vacuumMs)})`,
  );
  if (result.xminWait.blockedBy.length > 0) {
    console.log(
      `warning: after ${formatMs(result.xminWait.waitedMs)} these still held snapshots older than the load, so VACUUM could not mark every loaded page all-visible ` +
        `(index-only scans read the heap until it can): ${result.xminWait.blockedBy.map((h) => `${h.kind} ${h.name}: ${h.fix}`).join("; ")}. Then run VACUUM (ANALYZE) on the tables, or seed again.`,
    );
  }
}
