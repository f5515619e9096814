// The steps of `npm start`, each timed, then one summary.
import { EXIT } from "../base/errors.ts";
import { formatMs } from "../base/format.ts";
import { progressBar, type ProgressBar } from "../base/progress.ts";
import { withSql } from "../db/index.ts";
import { resolveDatabase } from "../embedded/resolve.ts";
import { assertServerReady } from "../checks/preflight.ts";
import { applyBaseSchema } from "../migrate/rollback.ts";
import { migrationProgressDisplay } from "../migrate/progress.ts";
import { runMigrations } from "../migrate/run.ts";
import { printSeedSummary, seedProgressDisplay } from "../seed/cli.ts";
import { seedDatabase, tableRowCounts } from "../seed/generate.ts";
import { formatVerifyTable } from "../verify/report.ts";
import { verifyTarget } from "../verify/verify.ts";

export interface StartOptions {
  readonly scale: number;
  readonly seed: number;
  readonly replaceForeignData?: boolean;
}

export async function runStart(options: StartOptions): Promise<number> {
  const steps: { step: string; ms: number }[] = [];
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await work();
    steps.push({ step, ms: performance.now() - t0 });
    return result;
  };

  const target = await timed("start server", () => resolveDatabase({ log: (l) => console.log(l) }));
  console.log(`database: ${target.display} (${target.source})`);
  return withSql(target, async (sql) => {
    const { serverVersion } = await assertServerReady(sql, target.display);
    console.log(`PostgreSQL ${serverVersion}`);
    // Base schema first, data next, then the performance indexes: the index
    // migrations run on live data the way they will in production (a re-run
    // of npm start finds them applied and only re-seeds).
    await timed("base schema", () => applyBaseSchema(target, (line) => console.log(`  ${line}`)));
    const seeded = await timed("seed", () =>
      seedDatabase(sql, {
        scale: options.scale,
        seed: options.seed,
        replaceForeignData: options.replaceForeignData,
        onProgress: seedProgressDisplay("  seed "),
      }),
    );
    printSeedSummary(seeded);
    const migrated = await timed("index migrations", () => runMigrations(target, { log: (line) => console.log(`  ${line}`), onProgress: migrationProgressDisplay("  index migrations") }));
    console.log(`  ${migrated.applied.length} migration(s) applied; ${migrated.after?.totalIndexes ?? "?"} indexes; report ${migrated.reportFile ?? "-"}`);
    const counts = await tableRowCounts(sql);
    let bar2: ProgressBar | undefined;
    const verified = await timed("verify", () =>
      verifyTarget(target, {
        onProgress(p) {
          bar2 ??= progressBar("  verify", p.total, "queries");
          bar2.update(p.done);
        },
      }),
    );
    bar2?.finish(`  verified ${verified.report.summary.queries} catalog queries`);

    console.log("\n== bollalabz-db: summary ==");
    for (const { step, ms } of steps) console.log(`  ${step.padEnd(16)} ${formatMs(ms).padStart(9)}`);
    console.log(`  ${"total".padEnd(16)} ${formatMs(steps.reduce((s, x) => s + x.ms, 0)).padStart(9)}`);
    console.log("  rows:");
    for (const [table, n] of Object.entries(counts)) console.log(`    ${table.padEnd(26)} ${n.toLocaleString("en-US").padStart(10)}`);
    console.log(`  url: ${target.display}`);
    if (target.source === "embedded") console.log("  full URL: npm run -s db:status -- --url    stop: npm run db:stop");

    console.log("\n== verification (npm run verify) ==");
    console.log(formatVerifyTable(verified.report));
    console.log(`report: ${verified.written.markdown}`);
    return verified.report.passed ? EXIT.ok : EXIT.failed;
  }, { max: 2, applicationName: "bollalabz-db/start" });
}
