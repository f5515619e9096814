// npm run bench -- stats-fidelity [--scale 10] — does a statistics twin plan
// like production? Builds a skewed "production" database (another seed, one
// contact with 30 % of the messages, a 90 %-NULL column), exports its
// statistics, builds the twin from the file as verify --stats does, and
// compares every catalog variant's plan shape. Needs PostgreSQL 18 and
// CREATEDB (two scratch databases next to the target, one at a time).
// Logic: src/bench/stats-fidelity.ts.
import { formatHelp, integerFlag, outputFileFlag, parseFlags, positiveNumberFlag } from "../../base/flags.ts";
import { formatMs } from "../../base/format.ts";
import { defaultReportPath, writeReportFile } from "../../base/report-file.ts";
import { scratchDatabaseName } from "../../db/scratch-database.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { fidelityMarkdown, runStatsFidelity } from "../../bench/stats-fidelity.ts";
import { benchDatabaseName } from "../../bench/run-bench.ts";
import { seedProgressDisplay } from "../../seed/cli.ts";
import { builtInCatalog } from "../../catalog/load.ts";

const spec = {
  usage: "npm run bench -- stats-fidelity",
  options: {
    scale: { type: "string" }, "small-scale": { type: "string" }, "production-seed": { type: "string" },
    keep: { type: "boolean" }, json: { type: "string" }, markdown: { type: "string" },
  },
  help: {
    scale: "scale of the skewed production database (default 10)",
    "small-scale": "scale of the unsized twin that shows why the pages must match (default 1)",
    "production-seed": "seed of the production data (default 7; the twin uses 42)",
    keep: "keep both scratch databases (<db>_fidelity_prod, <db>_fidelity_twin)",
    json: "result file (default reports/stats-fidelity-<time>.json)",
    markdown: "report file (default reports/stats-fidelity-<time>.md)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) return void console.log(`${formatHelp(spec)}\nexit codes: 0 done, 2 bad flag or PostgreSQL < 18, 3 database unreachable, 4 no CREATEDB`);
  const productionScale = positiveNumberFlag("scale", values.scale, 10, 100);
  const smallScale = positiveNumberFlag("small-scale", values["small-scale"], 1, 100);
  const productionSeed = integerFlag("production-seed", values["production-seed"], 7);
  const json = outputFileFlag("json", values.json ?? defaultReportPath("stats-fidelity", "json"))!;
  const markdown = outputFileFlag("markdown", values.markdown ?? defaultReportPath("stats-fidelity", "md"))!;
  const server = await resolveDatabase({ log: (l) => console.error(l) });
  const base = benchDatabaseName(server).replace(/_bench$/, "");
  const result = await runStatsFidelity(server, {
    catalog: builtInCatalog(),
    productionScale, productionSeed, twinSeed: 42, smallScale,
    productionName: scratchDatabaseName(base, "fidelity_prod"),
    twinName: scratchDatabaseName(base, "fidelity_twin"),
    keep: values.keep === true,
    log: (l) => console.error(l),
    onSeedProgress: seedProgressDisplay("  "),
  });
  writeReportFile(json, result);
  writeReportFile(markdown, fidelityMarkdown(result));
  const a = result.agreement;
  console.log(`plan shape agreement: ${a.scansSame}/${a.compared} variants (${((a.scansSame / a.compared) * 100).toFixed(1)} %); control (generator statistics): ${a.controlScansSame}/${a.compared}`);
  console.log(`scan row estimates within 10 %: twin ${a.estimatesSame}/${a.compared}, control ${a.controlEstimatesSame}/${a.compared}`);
  console.log(`with verify --stats's own parameters: ${a.verifyParamsSame}/${a.compared} the same values as production's picks, ${a.verifyScansSame}/${a.compared} the same plan shape`);
  console.log(`export ${formatMs(result.exportMs)}, twin build ${formatMs(result.twinBuildMs)}, total ${formatMs(result.totalMs)}`);
  console.log(`report: ${markdown}\njson:   ${json}`);
}
