// verify --stats FILE (and advise --stats): build the statistics twin on the
// target, run the whole catalog against it as verify always does (plans,
// budgets, baselines), and put autovacuum back (and drop the extended
// statistics objects it created) afterwards. The run takes no
// fresh statistics samples: an ANALYZE would replace the statistics it came
// to test.
import { assertMayExperiment } from "../db/scratch-database.ts";
import { withSql, type DatabaseTarget } from "../db/index.ts";
import { DEFAULT_SEED } from "../seed/cli.ts";
import type { SeedProgress } from "../seed/generate.ts";
import { verifyTarget, type VerifyTargetOptions } from "../verify/verify.ts";
import type { StatsFile } from "../stats/format.ts";
import { restoreAutovacuum } from "../stats/restore.ts";
import { dropCreatedStatistics } from "../stats/extended.ts";
import { variantKey, type TwinParameter } from "../stats/twin-params.ts";
import { builtInCatalog } from "../catalog/load.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import { buildStatisticsTwin, formatTwinReport, type TwinReport } from "../stats/twin.ts";

export interface StatsVerifyOptions extends VerifyTargetOptions, TwinRunOptions {}

export interface TwinRunOptions {
  /** --yes: build the twin even on a database not marked scratch/development (its data is replaced). */
  readonly yes?: boolean;
  readonly seed?: number;
  readonly log?: (line: string) => void;
  readonly onSeedProgress?: (event: SeedProgress) => void;
  /** The catalog run on the twin: its variants take parameters from the file where they can (src/stats/twin-params.ts). */
  readonly catalog?: readonly CatalogEntry[];
}

/**
 * Build the statistics twin on `target` (a scratch/development database, or
 * --yes), run `work` on it, and put autovacuum back afterwards, whatever
 * `work` does. `command` names what replaces the data, for the refusal.
 */
export async function withStatisticsTwin<T>(target: DatabaseTarget, file: StatsFile, command: string, options: TwinRunOptions, work: (twin: TwinReport) => Promise<T>): Promise<T> {
  await withSql(target, (sql) => assertMayExperiment(sql, target, options.yes ?? false, `${command} replaces the data and the planner statistics`), { max: 1 });
  const twin = await buildStatisticsTwin(target, file, { seed: options.seed ?? DEFAULT_SEED, replaceForeignData: options.yes, log: options.log, onSeedProgress: options.onSeedProgress, catalog: options.catalog });
  options.log?.(formatTwinReport(twin));
  try {
    return await work(twin);
  } finally {
    await withSql(target, async (sql) => {
      await restoreAutovacuum(sql, file.schema, twin.autovacuum);
      await dropCreatedStatistics(sql, file.schema, twin.extended);
    }, { max: 1 });
  }
}

export function verifyWithStatistics(target: DatabaseTarget, file: StatsFile, options: StatsVerifyOptions): ReturnType<typeof verifyTarget> {
  const catalog = options.catalog ?? builtInCatalog();
  return withStatisticsTwin(target, file, "verify --stats", { ...options, catalog }, (twin) =>
    verifyTarget(target, { ...options, catalog, statsSamples: 0, sessionSettings: twin.settings.applied, statsTwin: twin, variantParams: twinVariantParams(twin.parameters) }),
  );
}

/** runCatalog's presets: the file's values where there are some, and every variant's source. */
function twinVariantParams(list: readonly TwinParameter[]): Map<string, { params?: readonly unknown[]; source: string }> {
  return new Map(list.map((p) => [variantKey(p.query, p.variant), { ...(p.params ? { params: p.params } : {}), source: p.source === "statistics" ? `file statistics: ${p.detail}` : p.source }]));
}
