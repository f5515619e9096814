// verify --stats FILE: build the statistics twin on the target, run the
// whole catalog against it as verify always does (plans, budgets, baselines),
// and put autovacuum back afterwards. The run takes no fresh statistics
// samples: an ANALYZE would replace the statistics it came to test.
import { assertMayExperiment } from "../advise/validate.ts";
import { withSql, type DatabaseTarget } from "../db/index.ts";
import { DEFAULT_SEED } from "../seed/cli.ts";
import type { SeedProgress } from "../seed/generate.ts";
import { verifyTarget, type VerifyTargetOptions } from "../verify/verify.ts";
import type { StatsFile } from "./format.ts";
import { restoreAutovacuum } from "./restore.ts";
import { buildStatisticsTwin, formatTwinReport } from "./twin.ts";

export interface StatsVerifyOptions extends VerifyTargetOptions {
  /** --yes: build the twin on a database not marked scratch/development (its data is replaced). */
  readonly yes?: boolean;
  readonly seed?: number;
  readonly log?: (line: string) => void;
  readonly onSeedProgress?: (event: SeedProgress) => void;
}

export async function verifyWithStatistics(target: DatabaseTarget, file: StatsFile, options: StatsVerifyOptions): ReturnType<typeof verifyTarget> {
  await withSql(target, (sql) => assertMayExperiment(sql, target, options.yes ?? false, "verify --stats replaces the data and the planner statistics"), { max: 1 });
  const twin = await buildStatisticsTwin(target, file, { seed: options.seed ?? DEFAULT_SEED, replaceForeignData: options.yes, log: options.log, onSeedProgress: options.onSeedProgress });
  options.log?.(formatTwinReport(twin));
  try {
    return await verifyTarget(target, { ...options, statsSamples: 0, sessionSettings: twin.settings.applied, statsTwin: twin });
  } finally {
    await withSql(target, (sql) => restoreAutovacuum(sql, file.schema, twin.autovacuum), { max: 1 });
  }
}
