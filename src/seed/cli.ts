// Shared by `npm run seed` and `npm start`.
import { UserError } from "../cli/errors.ts";
import { formatMs } from "../cli/format.ts";
import type { SeedResult } from "./generate.ts";

export const DEFAULT_SEED = 42;

export function parseAnchor(raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== raw) {
    throw new UserError(`--anchor must be a date as YYYY-MM-DD, got '${raw}'. Example: --anchor 2026-01-31`);
  }
  return date;
}

export function printSeedSummary(result: SeedResult): void {
  const rows = result.tables.reduce((sum, t) => sum + t.rows, 0);
  console.log(
    `seeded ${rows.toLocaleString("en-US")} rows at scale ${result.scale} (seed ${result.seed}, anchor ${result.anchor.slice(0, 10)}) in ${formatMs(result.totalMs)} ` +
      `(insert ${formatMs(result.insertMs)}, vacuum analyze ${formatMs(result.vacuumMs)})`,
  );
}
