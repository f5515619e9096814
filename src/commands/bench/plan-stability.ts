// npm run bench -- plan-stability [--samples 20 --catalog FILE] — the
// catalog's plans under N fresh ANALYZE samples (rolled back), against
// DATABASE_URL or the embedded server; exit 5 when a variant can get a plan
// more than 10x slower than its best.
import { commandFlags, integerFlag } from "../../base/flags.ts";
import { EXIT } from "../../base/errors.ts";
import { progressBar, type ProgressBar } from "../../base/progress.ts";
import { withSql } from "../../db/index.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { failingVariants, formatPlanStability, measurePlanStability } from "../../bench/plan-stability.ts";
import { parsePlanCacheMode } from "../../settings/plan-cache.ts";
import { catalogFromFlag } from "../../catalog/load.ts";

const spec = {
  usage: "npm run bench -- plan-stability",
  options: { samples: { type: "string" }, catalog: { type: "string" }, "plan-cache-mode": { type: "string" } },
  help: {
    samples: "fresh ANALYZE samples (default 20)",
    catalog: "a catalog file instead of the built-in one",
    "plan-cache-mode": "the app connections' plan_cache_mode (default: the pool's)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const samples = integerFlag("samples", values.samples, 20, 1, 1000);
  const appPlanCacheMode = parsePlanCacheMode(values["plan-cache-mode"]);
  const catalog = catalogFromFlag(values.catalog);
  const target = await resolveDatabase({ log: (l) => console.error(l) });
  console.error(`plan stability on ${target.display}: ${catalog.length} queries, ${samples} fresh statistics samples`);
  // Two phases, each with its own progress: the main pass over the catalog,
  // then the fresh statistics samples (most of the time), "sample k/N".
  let mainPass: ProgressBar | undefined;
  let sampling: ProgressBar | undefined;
  const bench = await withSql(
    target,
    (sql) =>
      measurePlanStability(sql, catalog, {
        samples,
        appPlanCacheMode,
        onProgress: (e) => (mainPass ??= progressBar("main pass", catalog.length, "queries")).update(e.done, e.entry || undefined),
        onSample: (e) => {
          if (!sampling) {
            mainPass?.finish("main pass done");
            mainPass = undefined;
            sampling = progressBar("statistics samples", e.total, "samples done");
          }
          sampling.update(e.sample - 1, `sample ${e.sample}/${e.total}`);
        },
      }),
    { max: 1, applicationName: "bollalabz-db plan-stability" },
  );
  mainPass?.finish("main pass done");
  sampling?.finish(`statistics samples done (${bench.samples}/${samples})`);
  console.log(formatPlanStability(bench));
  return failingVariants(bench).length === 0 ? EXIT.ok : EXIT.failed;
}
