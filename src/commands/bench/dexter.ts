// npm run bench -- dexter --dexter DIR — side by side with Dexter on a
// PostgreSQL server with hypopg that DATABASE_URL points at (this command
// starts no server): a workload the project has never seen, measured before,
// after Dexter's indexes and after advise's. Logic: src/bench/dexter.ts.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT, UserError } from "../../base/errors.ts";
import { formatHelp, integerFlag, parseFlags } from "../../base/flags.ts";
import { loadCatalogFile } from "../../catalog/load.ts";
import { targetFromEnv } from "../../embedded/resolve.ts";
import { dataSetFlags, dataSetOptions } from "../../seed/cli.ts";
import { formatDexterBench, runDexterBench } from "../../bench/dexter.ts";

const DEFAULT_WORKLOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "dexter-workload.json");

const dataSet = dataSetOptions("seed scale of the scratch database <database>_dexter_bench (default 10)");
const spec = {
  usage: "npm run bench -- dexter --dexter DIR",
  options: {
    dexter: { type: "string" }, workload: { type: "string" }, ...dataSet.options,
    rounds: { type: "string" }, runs: { type: "string" }, keep: { type: "boolean" }, reuse: { type: "boolean" },
  },
  help: {
    dexter: "a checkout of Dexter's 0.4.x line (run as ruby -Ilib exe/dexter; needs ruby, ruby-pg, ruby-pg-query, ruby-slop)",
    workload: "the workload, in the verify --catalog shape (default src/bench/dexter-workload.json: 20 queries the project has never seen)",
    ...dataSet.help,
    rounds: "calls per parameter variant in the workload run (default 10)",
    runs: "timed runs per variant in each measurement (default 10)",
    keep: "keep the scratch database afterwards",
    reuse: "re-use a kept scratch database (no re-seed)",
  },
} as const;

export async function main(argv: string[]): Promise<number | void> {
  const { values } = parseFlags(spec, argv);
  if (values.help) {
    console.log(`${formatHelp(spec)}\nDATABASE_URL: a superuser of a running PostgreSQL server with hypopg, the project's settings and a statement log (this bench starts no server;\n              the scratch database <database>_dexter_bench is created beside DATABASE_URL's database)\nexit codes: 0 done, 2 bad flag or workload file, 3 database unreachable, 4 no hypopg, not a superuser, no statement log, or no ruby`);
    return;
  }
  if (!values.dexter) throw new UserError("--dexter DIR is required: the folder of a Dexter 0.4.x checkout. Example: npm run bench -- dexter --dexter /tmp/dexter", EXIT.usage);
  const target = targetFromEnv();
  if (!target) throw new UserError("DATABASE_URL is not set: point it at a superuser of a PostgreSQL server with hypopg and the project's settings (this bench starts no server; see docs/benchmarks.md)", EXIT.usage);
  const workloadFile = values.workload ?? DEFAULT_WORKLOAD;
  const result = await runDexterBench(target, {
    dexterDir: path.resolve(values.dexter),
    workload: loadCatalogFile(workloadFile),
    ...dataSetFlags(values, 10),
    rounds: integerFlag("rounds", values.rounds, 10, 1, 10_000),
    runs: integerFlag("runs", values.runs, 10, 1, 1_000),
    keep: Boolean(values.keep),
    reuse: Boolean(values.reuse),
    log: (l) => console.error(l),
  });
  console.log(formatDexterBench(result));
}
