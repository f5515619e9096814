// The pending migration set as ONE progress display (a live bar on a
// terminal, a state line every few seconds otherwise): count done/total, the
// index being built, elapsed; a failure names the migration and its index.
import { formatMs } from "../base/format.ts";
import { progressBar, type ProgressBar, type ProgressOptions } from "../base/progress.ts";
import type { MigrationProgress } from "./run.ts";

export function migrationProgressDisplay(label = "migrations", options: ProgressOptions = {}): (event: MigrationProgress) => void {
  let bar: ProgressBar | undefined;
  let started = 0;
  return (event) => {
    if (event.kind === "start") {
      started = performance.now();
      bar = progressBar(label, event.total, "migrations", options);
    } else if (event.kind === "migration") {
      bar?.update(event.done, event.index ?? event.file);
    } else {
      bar?.update(event.done);
      const elapsed = formatMs(performance.now() - started);
      bar?.finish(
        event.failed
          ? `${label}: ${event.done}/${event.total} applied; FAILED at ${event.failed.index ? `index ${event.failed.index} (${event.failed.file})` : event.failed.file} after ${elapsed}`
          : `${label}: ${event.done}/${event.total} applied in ${elapsed}`,
      );
      bar = undefined;
    }
  };
}
