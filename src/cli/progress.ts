// Progress on long work: a live bar (cli-progress) on a terminal, plain
// start/finish lines otherwise (CI logs stay readable).
import cliProgress from "cli-progress";

export interface ProgressBar {
  update(done: number): void;
  finish(message: string): void;
}

const interactive = () => Boolean(process.stderr.isTTY) && !process.env.CI;

export function progressBar(label: string, total: number, unit = "rows"): ProgressBar {
  if (!interactive()) {
    process.stderr.write(`${label} ...\n`);
    return { update() {}, finish: (message) => process.stderr.write(`${message}\n`) };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label.padEnd(28)} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted}`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done) => bar.update(done),
    finish(message) {
      bar.stop();
      process.stderr.write(`${message}\n`);
    },
  };
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}
