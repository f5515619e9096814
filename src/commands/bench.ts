// npm run bench -- <name> [flags]: every benchmark behind one verb. Without a
// name it runs `indexes`, the measured before/after of the performance index
// set (what `npm run bench` always ran). `--help` lists the names; `<name>
// --help` shows that benchmark's flags. Each prints figures, never asserts.
import { EXIT, UserError } from "../base/errors.ts";
import type { CommandContext, CommandMain } from "./run-command.ts";

type Bench = { readonly summary: string; readonly load: () => Promise<{ main: CommandMain }> };

export const BENCHES: Readonly<Record<string, Bench>> = {
  indexes: { summary: "before/after of the performance indexes on a seeded bench database (default)", load: () => import("./bench/indexes.ts") },
  migrate: { summary: "the whole index set built on realistic data while a writer runs: build times, sizes, the writer's worst latency", load: () => import("./bench/migrate.ts") },
  seed: { summary: "seeding into existing performance indexes: keep them vs drop and rebuild", load: () => import("./bench/seed.ts") },
  analytics: { summary: "30-day message analytics: index-only scan vs rollup vs materialized view", load: () => import("./bench/analytics.ts") },
  "plan-stability": { summary: "the catalog's plans under N fresh ANALYZE samples (exit 5 on a 10x flip)", load: () => import("./bench/plan-stability.ts") },
  "gate-load": { summary: "the grade as the machine is and with N CPU hogs (exit 5 when they differ)", load: () => import("./bench/gate-load.ts") },
  "replica-lag": { summary: "a replica's lag sampled while a command runs on the primary", load: () => import("./bench/replica-lag.ts") },
  capture: { summary: "the monitor's cost: time per capture, rows and bytes kept per day", load: () => import("./bench/capture.ts") },
  "health-load": { summary: "the health API under load (autocannon)", load: () => import("./bench/health-load.ts") },
  "index-cost": { summary: "per index: write cost (rows/s with and without it) beside the catalog queries it serves; bulk writes vs base-schema copies", load: () => import("./bench/index-cost.ts") },
  "stats-fidelity": { summary: "a skewed production database against its statistics twin: plan shapes and row estimates per catalog variant (PostgreSQL 18)", load: () => import("./bench/stats-fidelity.ts") },
  "advise-workload": { summary: "~20 ordinary app queries through the app's pool on a seeded scratch database, then advise --validate, timed", load: () => import("./bench/advise-workload.ts") },
  dexter: { summary: "side by side with Dexter on a server with hypopg (DATABASE_URL): a never-seen workload before, after Dexter's indexes, after advise's", load: () => import("./bench/dexter.ts") },
  "health-recovery": { summary: "how fast the health API sees the database back after an outage", load: () => import("./bench/health-recovery.ts") },
};

function formatBenches(): string {
  const width = Math.max(...Object.keys(BENCHES).map((n) => n.length));
  return Object.entries(BENCHES).map(([name, b]) => `  ${name.padEnd(width)}  ${b.summary}`).join("\n");
}

export async function main(argv: string[], context: CommandContext): Promise<number | void> {
  const [first, ...rest] = argv;
  if (first !== undefined && !first.startsWith("-")) {
    const bench = BENCHES[first];
    if (!bench) throw new UserError(`Unknown benchmark '${first}': expected one of\n${formatBenches()}\nExample: npm run bench -- seed --help`, EXIT.usage);
    return (await bench.load()).main(rest, context);
  }
  if (argv.includes("--help")) console.log(`usage: npm run bench -- <name> [flags]   (no name: indexes)\n${formatBenches()}\n\nindexes:`);
  return (await BENCHES.indexes!.load()).main(argv, context);
}
