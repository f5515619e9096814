// Progress on long work: a live bar (cli-progress) on a terminal; otherwise
// (a pipe, a CI log) a start line, then one plain state line every few
// seconds (count, current item, elapsed) so a long verify or seed is never
// minutes of silence, then the finish line.
import cliProgress from "cli-progress";
import { formatMs } from "./format.ts";

export interface ProgressBar {
  /** `current` names what is being worked on now (e.g. the index being built). */
  update(done: number, current?: string): void;
  finish(message: string): void;
}

export interface ProgressOptions {
  /** Where to write (default stderr, so stdout stays the command's result). */
  readonly stream?: NodeJS.WritableStream;
  /** Live bar (default: stderr is a terminal and CI is not set). */
  readonly interactive?: boolean;
  /** Plain mode: a state line at most this often (default 5 s). */
  readonly everyMs?: number;
}

export const PLAIN_PROGRESS_EVERY_MS = 5_000;

const interactive = () => Boolean(process.stderr.isTTY) && !process.env.CI;

export function progressBar(label: string, total: number, unit = "rows", options: ProgressOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  if (!(options.interactive ?? interactive())) return plainProgress(label, total, unit, stream, options.everyMs ?? PLAIN_PROGRESS_EVERY_MS);
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(28)} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted} {current}`,
      hideCursor: true,
      clearOnComplete: true,
      stream,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { current: "" });
  return {
    update: (done, current) => bar.update(done, current === undefined ? {} : { current }),
    finish(message) {
      bar.stop();
      stream.write(`${message}\n`);
    },
  };
}

function plainProgress(label: string, total: number, unit: string, stream: NodeJS.WritableStream, everyMs: number): ProgressBar {
  const started = performance.now();
  let done = 0;
  let current: string | undefined;
  stream.write(`${label} ...\n`);
  // A timer, not the updates: one statement (an index build, VACUUM) can run
  // for a minute without a single update, and that is when a line matters.
  const timer = setInterval(() => {
    const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : "";
    stream.write(`${label}: ${done}/${total} ${unit}${pct}${current ? `, ${current}` : ""}, ${formatMs(performance.now() - started)} elapsed\n`);
  }, everyMs);
  timer.unref();
  return {
    update(value, now) {
      done = value;
      if (now !== undefined) current = now;
    },
    finish(message) {
      clearInterval(timer);
      stream.write(`${message}\n`);
    },
  };
}
