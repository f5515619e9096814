// npm run bench -- capture — the monitor's cost against DATABASE_URL or the
// embedded server (use the scale-10 database): time per pg_stat_statements
// capture, rows and bytes kept per day, and the daily size snapshot. Writes
// monitor history into the target's bollalabz_monitor schema, like capture does.
// Logic: src/observe/capture-bench.ts.
import { commandFlags, integerFlag } from "../../base/flags.ts";
import { formatBytes } from "../../base/format.ts";
import { withSql } from "../../db/index.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { benchCapture } from "../../observe/capture-bench.ts";
import { CAPTURE_INTERVAL_MINUTES, STATEMENT_RETENTION_DAYS } from "../../observe/capture.ts";

const spec = {
  usage: "npm run bench -- capture",
  options: { captures: { type: "string" }, distinct: { type: "string" } },
  help: { captures: "measured captures (default 5)", distinct: "distinct statements run between captures (default 100; try the number your application runs in 5 minutes)" },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const captures = integerFlag("captures", values.captures, 5, 1, 100);
  const distinct = integerFlag("distinct", values.distinct, 100, 1, 5000);
  const target = await resolveDatabase({ log: (line) => console.error(line) });
  const r = await withSql(target, (sql) => benchCapture(sql, { captures, distinct }, (line) => console.error(line)), { max: 1, applicationName: "bollalabz-db bench:capture" });
  const perDay = (24 * 60) / CAPTURE_INTERVAL_MINUTES;
  console.log(`database ${target.display}: ${r.entries} pg_stat_statements entries; ${r.distinct} distinct statements between captures`);
  console.log(`statement capture: median ${r.captureMs.median} ms, max ${r.captureMs.max} ms (${r.captureMs.all.join(", ")})`);
  console.log(`  ${r.rowsPerCapture} rows per capture x ${perDay} captures/day = ${r.statementRowsPerDay} rows/day, ${r.bytesPerDeltaRow} bytes/row with its index = ${formatBytes(r.statementBytesPerDay)}/day; kept ${STATEMENT_RETENTION_DAYS} days = ${formatBytes(r.statementBytesPerDay * STATEMENT_RETENTION_DAYS)}`);
  console.log(`size snapshot: ${r.space.ms} ms, ${r.space.rowsPerDay} rows/day, ${r.space.bytesPerRow} bytes/row = ${formatBytes(r.space.bytesPerDay)}/day`);
  console.log("Figures depend on the machine and on how many different statements run per interval.");
}
