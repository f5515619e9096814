// verify --stats FILE (and advise --stats): build the statistics twin on the
// target, run the whole catalog against it as verify always does (plans,
// budgets, baselines), and put autovacuum back afterwards. The run takes no
// fresh statistics samples: an ANALYZE would replace the statistics it came
// to test.
import { assertMayExperiment } from "../db/scratch-database.ts";
import { withSql, type DatabaseTarget } from "../db/index.ts";
import { DEFAULT_SEED } from "../seed/cli.ts";
import type { SeedProgress } from "../seed/generate.ts";
import { verifyTarget, type VerifyTargetOptions } from "../verify/verify.ts";
import type { StatsFile } from "../stats/format.ts";
import { restoreAutovacuum } from "../stats/restore.ts";
import { buildStatisticsTwin, formatTwinReport, type TwinReport } from "../stats/twin.ts";

export interface StatsVerifyOptions extends VerifyTargetOptions, TwinRunOptions {}

export interface TwinRunOptions {
  /** --yes: build the twin even on a database not marked scratch/development (its data is replaced). */
  readonly yes?: boolean;
  readonly seed?: number;
  readonly log?: (line: string) => void;
  readonly onSeedProgress?: (event: SeedProgress) => void;
}

/**
 * Build the statistics twin on `target` (a scratch/development database, or
 * --yes), run `work` on it, and put autovacuum back afterwards, whatever
 * `work` does. `command` names what replaces the data, for the refusal.
 */
export async function withStatisticsTwin<T>(target: DatabaseTarget, file: StatsFile, command: string, options: TwinRunOptions, work: (twin: TwinReport) => Promise<T>): Promise<T> {
  await withSql(target, (sql) => assertMayExperiment(sql, target, options.yes ?? false, `${command} replaces the data and the planner statistics`), { max: 1 });
  const twin = await buildStatisticsTwin(target, file, { seed: options.seed ?? DEFAULT_SEED, replaceForeignData: options.yes, log: options.log, onSeedProgress: options.onSeedProgress });
  options.log?.(formatTwinReport(twin));
  try {
    return await work(twin);
  } finally {
    await withSql(target, (sql) => restoreAutovacuum(sql, file.schema, twin.autovacuum), { max: 1 });
  }
}

export function verifyWithStatistics(target: DatabaseTarget, file: StatsFile, options: StatsVerifyOptions): ReturnType<typeof verifyTarget> {
  return withStatisticsTwin(target, file, "verify --stats", options, (twin) =>
    verifyTarget(target, { ...options, statsSamples: 0, sessionSettings: twin.settings.applied, statsTwin: twin }),
  );
}
