// npm run bench -- replica-lag --run "npm run migrate" — sample a replica's
// lag every --interval ms while a command runs against the primary; prints
// worst / p99 / p50 and writes every sample to reports/replica-lag-<time>.json.
// Primary: DATABASE_URL or the embedded server; replica: --replica URL,
// DATABASE_REPLICA_URLS (first) or the embedded server's first replica.
import { spawn } from "node:child_process";
import { commandFlags, formatHelp, integerFlag } from "../../base/flags.ts";
import { EXIT, UserError } from "../../base/errors.ts";
import { embeddedBaseDir } from "../../base/project-paths.ts";
import { connect, maskUrl, type DatabaseTarget } from "../../db/index.ts";
import { resolveDatabase } from "../../embedded/resolve.ts";
import { formatLagSummary, sampleReplicaLag } from "../../bench/replica-lag.ts";
import { embeddedReplicas } from "../../embedded/replicas.ts";
import { replicaTargets } from "../../replication/targets.ts";
import { defaultReportPath, writeReportFile } from "../../base/report-file.ts";

const spec = {
  usage: "npm run bench -- replica-lag",
  options: { run: { type: "string" }, replica: { type: "string" }, interval: { type: "string" }, json: { type: "string" } },
  help: {
    run: "the command to run while sampling (through the shell), e.g. \"npm run migrate\"",
    replica: "the replica's URL (default: DATABASE_REPLICA_URLS' first, or the embedded server's first replica)",
    interval: "ms between samples (default 100)",
    json: "where to write the samples (default reports/replica-lag-<time>.json)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  if (!values.run?.trim()) throw new UserError(`--run is required: the command to sample during, e.g. --run "npm run migrate"\n${formatHelp(spec)}`);
  const intervalMs = integerFlag("interval", values.interval, 100, 10, 60_000);
  const primaryTarget = await resolveDatabase({ log: (l) => console.error(l) });
  let replica: DatabaseTarget | undefined = replicaTargets(values.replica ? [values.replica] : undefined)[0];
  if (!replica && primaryTarget.source === "embedded") {
    const first = embeddedReplicas(embeddedBaseDir()).find((r) => r.pid !== undefined);
    if (first) replica = { url: first.databaseUrl, display: maskUrl(first.databaseUrl), source: "embedded" };
  }
  if (!replica) throw new UserError("No replica to sample: give --replica URL, set DATABASE_REPLICA_URLS, or start one with 'npm run db:start -- --replicas 1'.", EXIT.usage);
  const primary = await connect(primaryTarget, { max: 2, applicationName: "bollalabz-db replica-lag" });
  const standby = await connect(replica, { max: 1, applicationName: "bollalabz-db replica-lag" });
  try {
    console.error(`sampling ${replica.display} every ${intervalMs} ms while running: ${values.run}`);
    const sampler = sampleReplicaLag(primary, standby, { intervalMs });
    const started = performance.now();
    const code = await new Promise<number>((resolve) => {
      const child = spawn(values.run!, { shell: true, stdio: "inherit", env: process.env });
      child.on("close", (c) => resolve(c ?? 1));
    });
    const commandMs = performance.now() - started;
    const { samples, summary } = await sampler.stop();
    console.log(`\ncommand exited ${code} after ${(commandMs / 1000).toFixed(1)} s`);
    console.log(formatLagSummary(summary));
    const file = writeReportFile(values.json ?? defaultReportPath("replica-lag", "json"), { primary: primaryTarget.display, replica: replica.display, command: values.run, exitCode: code, commandMs, summary, samples });
    console.log(`samples: ${file}`);
    return code === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await Promise.all([primary.end({ timeout: 2 }), standby.end({ timeout: 2 })]);
  }
}
