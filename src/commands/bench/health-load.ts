// npm run bench -- health-load — throughput and latency of the health API under load:
// starts `npm run serve` as a child process on a free loopback port (against
// DATABASE_URL or the embedded server), runs autocannon at 200 concurrent
// connections against GET /livez, /readyz, /api/v1/health and /api/v1/health/database, and
// prints req/s, p50/p99 and errors per endpoint. It reports; it does not fail
// on the goals (p99 <= 20 ms / 100 ms, zero errors), which depend on the machine.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { commandFlags, integerFlag } from "../../base/flags.ts";
import { EXIT, UserError } from "../../base/errors.ts";
import { COMMAND_BIN, PROJECT_ROOT } from "../../base/project-paths.ts";
import { findFreePort } from "../../embedded/server.ts";

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no type definitions: typed here by what we use.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const spec = {
  usage: "npm run bench -- health-load",
  options: { duration: { type: "string" }, connections: { type: "string" }, warmup: { type: "string" } },
  help: { duration: "seconds per endpoint (default 10, max 120)", connections: "concurrent connections (default 200)", warmup: "seconds of unmeasured warm-up per endpoint (default 2)" },
} as const;

// /livez and /readyz are what orchestrators hit most: the same 20 ms goal as /health.
const TARGETS = [
  { path: "/livez", goalP99Ms: 20 },
  { path: "/readyz", goalP99Ms: 20 },
  { path: "/api/v1/health", goalP99Ms: 20 },
  { path: "/api/v1/health/database", goalP99Ms: 100 },
];

async function waitForServer(child: ChildProcess, url: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new UserError(`npm run serve exited with code ${child.exitCode}:\n${stderr().trim()}`, child.exitCode === EXIT.usage ? EXIT.usage : EXIT.unreachable);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new UserError(`The health server did not answer 200 on ${url} within 60 s:\n${stderr().trim()}`, EXIT.unreachable);
}

export async function main(argv: string[]): Promise<number | void> {
  const values = commandFlags(spec, argv);
  if (!values) return;
  const duration = integerFlag("duration", values.duration, 10, 1, 120);
  const connections = integerFlag("connections", values.connections, 200, 1, 2000);
  const warmup = integerFlag("warmup", values.warmup, 2, 0, 60);

  const port = await findFreePort();
  const base = `http://127.0.0.1:${port}`;
  let serverErr = "";
  // Request logging off (LOG_LEVEL=warn): one log line per request would measure pino, not the API.
  const child = spawn(process.execPath, [COMMAND_BIN, "serve"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "warn", HEALTH_API_TOKEN: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (d) => (serverErr += d));
  try {
    await waitForServer(child, `${base}/api/v1/health`, () => serverErr);
    console.log(`load: ${connections} connections, ${duration} s per endpoint (after ${warmup} s warm-up), server ${base} (pid ${child.pid})`);
    const rows: string[][] = [];
    for (const target of TARGETS) {
      const url = `${base}${target.path}`;
      if (warmup > 0) await autocannon({ url, connections, duration: warmup });
      const r = await autocannon({ url, connections, duration });
      const errors = r.errors + r.timeouts + r.non2xx;
      rows.push([
        `GET ${target.path}`,
        r.requests.average.toFixed(0),
        String(r.requests.total),
        r.latency.p50.toFixed(1),
        r.latency.p99.toFixed(1),
        r.latency.max.toFixed(1),
        String(errors),
        `p99 <= ${target.goalP99Ms} ms, 0 errors: ${r.latency.p99 <= target.goalP99Ms && errors === 0 ? "met" : "MISSED"}`,
      ]);
    }
    const header = ["endpoint", "req/s", "requests", "p50 ms", "p99 ms", "max ms", "errors", "goal"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log("errors = socket errors + timeouts + non-2xx answers. Figures depend on the machine; run on an idle one.");
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
  }
}
