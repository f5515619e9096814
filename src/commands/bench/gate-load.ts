// npm run bench -- gate-load [--hogs 2 --runs 20] — grade the catalog as the
// machine is and again with N CPU hogs, against DATABASE_URL or the embedded
// server, and print both verdicts side by side; exit 5 when they differ.
import { loadavg } from "node:os";
import { commandFlags, integerFlag } from "../../base/flags.ts";
import { EXIT } from "../../base/errors.ts";
import { withSql } from "../../db/index.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { formatGateUnderLoad, gradeQuietAndLoaded } from "../../bench/gate-under-load.ts";
import { BUILT_IN_CATALOG, builtInCatalog } from "../../catalog/load.ts";
import { DEFAULT_RUNS } from "../../verify/run-catalog.ts";

const spec = {
  usage: "npm run bench -- gate-load",
  options: { hogs: { type: "string" }, runs: { type: "string" }, "stats-samples": { type: "string" } },
  help: {
    hogs: "busy-looping processes for the second run (default 2)",
    runs: `timed runs per variant (default ${DEFAULT_RUNS})`,
    "stats-samples": "fresh ANALYZE samples per run (default 0: statistics do not depend on load)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const hogs = integerFlag("hogs", values.hogs, 2, 1, 64);
  const runs = integerFlag("runs", values.runs, DEFAULT_RUNS, 5, 100_000);
  const statsSamples = integerFlag("stats-samples", values["stats-samples"], 0, 0, 100);
  const catalog = builtInCatalog();
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  console.error(`grading ${target.display} as is, then with ${hogs} CPU hogs (${catalog.length} queries, ${runs} runs each)`);
  const result = await withSql(
    target,
    (sql) => gradeQuietAndLoaded(sql, { catalog, catalogSource: BUILT_IN_CATALOG, database: target.display, hogs, runs, statsSamples, loadAverage: () => loadavg()[0]! }),
    { max: 1, applicationName: "bollalabz-db gate-load" },
  );
  console.log(formatGateUnderLoad(result));
  return result.sameGrade && result.differing.length === 0 ? EXIT.ok : EXIT.failed;
}
