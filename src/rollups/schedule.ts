// The refresh schedule `npm run serve` runs: every interval, refresh the
// materialized views and fill the search side tables (search-tables.ts) on a connection of its own (one at a time: the next run
// is scheduled when the last one ended, so a slow refresh never overlaps
// itself). A failed refresh is reported and retried next time; verify fails
// the run if the views fall behind their stated staleness.
import { openSql, type DatabaseTarget } from "../db/index.ts";
import { refreshViews, type ViewRefresh } from "./rollups.ts";
import { indexSearchTables, type SearchIndexRun } from "./search-tables.ts";

export interface RefreshSchedule {
  /** Resolves after the first run (done or failed). */
  readonly firstRun: Promise<void>;
  stop(): Promise<void>;
}

export function startRefreshSchedule(
  target: Pick<DatabaseTarget, "url">,
  options: { readonly intervalSeconds: number; readonly onRefresh?: (done: ViewRefresh[]) => void; readonly onSearchIndex?: (done: SearchIndexRun[]) => void; readonly onError?: (error: Error) => void },
): RefreshSchedule {
  const sql = openSql(target, { max: 1, applicationName: "bollalabz-db refresh" });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const runOnce = async () => {
    try {
      options.onRefresh?.(await refreshViews(sql));
      options.onSearchIndex?.(await indexSearchTables(sql));
    } catch (error) {
      options.onError?.(error as Error);
    }
  };
  const loop = () => {
    if (stopped) return;
    running = runOnce().then(() => {
      if (!stopped) timer = setTimeout(loop, options.intervalSeconds * 1000);
    });
  };
  loop();
  const firstRun = running;
  return {
    firstRun,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await sql.end({ timeout: 5 });
    },
  };
}
