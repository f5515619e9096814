// Every npm script, run as a user runs it (`npm run <script> -- <args>`), end
// to end at a tiny size: it exits as documented, prints what the README says,
// and leaves no process behind. One table: renaming a script is a one-line
// edit, and a script added to package.json without a row fails the first test.
//
// Leftover processes are found by a marker in the environment every command
// (and every server it starts: pg_ctl passes its environment on) inherits.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { destroyEmbedded } from "../src/embedded/server.ts";
import { migratedDatabase, seededDatabase, type TestDatabase } from "./support/databases.ts";
import { suiteServerDir, suiteTempPrefix } from "./support/server-dirs.ts";

const PACKAGE_SCRIPTS = Object.keys((JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly leftovers: string[];
}

/** What a row needs around it. */
type Needs =
  | "nothing" // no database
  | "seeded" // DATABASE_URL = a migrated database seeded at scale 0.01, shared by the rows that only read it
  | "own"; // DATABASE_URL = a migrated database of the row's own (the row changes it)

interface Row {
  readonly script: string;
  readonly args: readonly string[];
  readonly needs: Needs;
  /** Exit code (default 0). */
  readonly exit?: number;
  /** Output (stdout + stderr) must match each. */
  readonly prints: readonly RegExp[];
}

/** Scripts another test file already runs end to end (too long-lived or too heavy to run twice); the file must name the script. */
interface CoveredElsewhere {
  readonly script: string;
  readonly by: string;
  /** A string the covering test file contains: how it runs the script. */
  readonly runs: string;
}

const TINY = ["--scale", "0.01"];

const ROWS: readonly Row[] = [
  { script: "lint:migrations", args: [], needs: "nothing", prints: [/0 violation|Found 0|No violations|^$/m] },
  { script: "typecheck", args: [], needs: "nothing", prints: [] },
  { script: "migrate", args: ["--no-report"], needs: "seeded", prints: [/migration|up to date|applied/i] },
  { script: "seed", args: TINY, needs: "own", prints: [/conversation_messages/] },
  { script: "verify", args: ["--runs", "5", "--warmup", "0", "--min-grade", "F"], needs: "seeded", prints: [/grade (A\+|A|B|C|D|F): \d+\/\d+ queries pass/] },
  { script: "test:performance", args: ["--runs", "5", "--warmup", "0", "--min-grade", "F"], needs: "seeded", prints: [/grade (A\+|A|B|C|D|F): \d+\/\d+ queries pass/] },
  { script: "rollback", args: [], needs: "own", prints: [/index|rolled back|dropped/i] },
  { script: "capture", args: [], needs: "seeded", prints: [/baseline|captured|statements/i] },
  { script: "maintenance", args: ["--analyze", "none"], needs: "seeded", prints: [/invalid indexes:/] },
  { script: "refresh", args: [], needs: "seeded", prints: [/refreshed top_contacts_30d in \d+ ms/, /indexed message_search up to the newest row/, /indexed contact_search up to the newest row/] },
  { script: "bench", args: ["index-cost", "--rows", "100", "--repeats", "1"], needs: "seeded", prints: [/\| messages status update \|/, /idx_conversation_messages_contact_created/] },
  { script: "advise", args: ["--runs", "1"], needs: "seeded", prints: [/statement|index|workload/i] },
  { script: "bench", args: [...TINY, "--runs", "5", "--warmup", "0", "--explain-runs", "1", "--write-rows", "50"], needs: "seeded", prints: [/write cost/] },
  { script: "bench", args: ["migrate", ...TINY], needs: "seeded", prints: [/migration|index|writer/i] },
  { script: "bench", args: ["seed", ...TINY], needs: "seeded", prints: [/rows|seed/i] },
  { script: "bench", args: ["analytics", "--runs", "2"], needs: "seeded", prints: [/option|ms/i] },
  { script: "bench", args: ["plan-stability", "--samples", "2"], needs: "seeded", prints: [/plan|sample/i] },
  { script: "bench", args: ["gate-load", "--hogs", "1", "--runs", "5"], needs: "seeded", prints: [/grade|hog|load/i] },
  { script: "bench", args: ["advise-workload", ...TINY, "--rounds", "2", "--no-validate"], needs: "seeded", prints: [/analyzed: \d+ of \d+/] },
  { script: "bench", args: ["capture", "--captures", "1", "--distinct", "5"], needs: "seeded", prints: [/capture/i] },
  { script: "bench", args: ["stats-fidelity", "--scale", "0.02", "--small-scale", "0.01"], needs: "seeded", prints: [/plan shape agreement: \d+\/\d+ variants/, /scan row estimates within 10 %/] },
  { script: "bench", args: ["health-load", "--duration", "1", "--connections", "5", "--warmup", "0"], needs: "seeded", prints: [/req|latency|health/i] },
  { script: "bench", args: ["health-recovery", "--rounds", "1", "--down", "1"], needs: "nothing", prints: [/200 again|recover|ms/i] },
];

/** The embedded server's life as a newcomer lives it, in order, in a data dir of its own (never the checkout's .data). */
const EMBEDDED_LIFECYCLE: readonly Row[] = [
  { script: "start", args: TINY, needs: "nothing", prints: [/== bollalabz-db: summary ==/, /grade (A\+|A|B|C|D|F): \d+\/\d+ queries pass/, /stop: npm run db:stop/] },
  { script: "db:status", args: ["--json"], needs: "nothing", prints: [/"running": ?true/] },
  { script: "db:start", args: ["--replicas", "1"], needs: "nothing", prints: [/replica-1/] },
  { script: "bench", args: ["replica-lag", "--run", "true", "--interval", "50"], needs: "nothing", prints: [/lag/i] },
  { script: "db:stop", args: [], needs: "nothing", prints: [/stopped/i] },
];

const COVERED_ELSEWHERE: readonly CoveredElsewhere[] = [
  { script: "test", by: "test/commands.test.ts", runs: "this suite is what `npm test` runs (after typecheck and lint:migrations, rows above)" },
  { script: "build", by: "test/package-exports.test.ts", runs: "npm pack" },
  { script: "prepack", by: "test/package-exports.test.ts", runs: "npm pack" },
  { script: "serve", by: "test/dashboard-browser.test.ts", runs: "[COMMAND_BIN, \"serve\"]" },
  { script: "deploy", by: "test/deploy.test.ts", runs: "deploy.ts" },
  { script: "stats:export", by: "test/stats-twin.test.ts", runs: "runScript(\"stats:export\"" },
];

/** "bench -- seed" for a named benchmark (one verb, `npm run bench -- <name>`), else the script. */
function rowName(row: Row): string {
  return row.script === "bench" && row.args[0] !== undefined && !row.args[0].startsWith("-") ? `bench -- ${row.args[0]}` : row.script;
}

/** Processes (pids) whose environment carries `marker`. */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").includes(marker)) found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim()}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function npmRun(script: string, args: readonly string[], env: NodeJS.ProcessEnv, marker: string, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CI: "true", DATABASE_URL: "", DATABASE_REPLICA_URLS: "", ...env, BOLLALABZ_TEST_MARKER: marker },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, leftovers: [] }));
  });
}

describe("every npm script has a row", () => {
  it("each key of package.json scripts is run below or names the test that runs it", () => {
    const tabled = new Set([...ROWS, ...EMBEDDED_LIFECYCLE, ...COVERED_ELSEWHERE].map((r) => r.script));
    expect(PACKAGE_SCRIPTS.filter((s) => !tabled.has(s))).toEqual([]);
    expect([...tabled].filter((s) => !PACKAGE_SCRIPTS.includes(s))).toEqual([]);
    for (const c of COVERED_ELSEWHERE.filter((c) => c.by !== "test/commands.test.ts")) {
      expect(readFileSync(path.join(PROJECT_ROOT, c.by), "utf8"), `${c.script}: ${c.by}`).toContain(c.runs);
    }
  });
});

describe("npm run <script>, end to end at a tiny size", () => {
  let seeded: TestDatabase;
  const reportsDir = suiteServerDir("command-reports");
  beforeAll(async () => {
    seeded = await seededDatabase("commands", 0.01);
  }, 300_000);
  afterAll(async () => {
    await seeded?.drop();
    rmSync(reportsDir, { recursive: true, force: true });
  });

  it.each(ROWS.map((r) => [rowName(r), r] as const))("npm run %s", async (_name, row) => {
    const own = row.needs === "own" ? await (row.script === "seed" ? migratedDatabase("cmd_own") : seededDatabase("cmd_own", 0.01)) : undefined;
    const db = own ?? (row.needs === "seeded" ? seeded : undefined);
    const marker = randomUUID();
    try {
      const run = await npmRun(row.script, row.args, { ...(db ? { DATABASE_URL: db.url, ROOT_DATABASE_URL: db.rootUrl, SHADOW_DATABASE_URL: db.shadowUrl } : {}), BOLLALABZ_REPORTS_DIR: reportsDir, EMBEDDED_PG_DIR: path.join(reportsDir, "no-embedded-server"), BOLLALABZ_TEMP_PREFIX: suiteTempPrefix("command") }, marker);
      expect(run.code, run.out).toBe(row.exit ?? 0);
      for (const pattern of row.prints) expect(run.out).toMatch(pattern);
      expect(run.out).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
      expect(processesWith(marker), "processes left behind").toEqual([]);
    } finally {
      await own?.drop();
    }
  }, 600_000);

  it("a newcomer's embedded server: npm start (its grade line, exit 0), status, replicas, replica lag, stop; nothing left running", async () => {
    const dataDir = suiteServerDir("newcomer");
    const marker = randomUUID();
    const env = { EMBEDDED_PG_DIR: dataDir, BOLLALABZ_REPORTS_DIR: reportsDir };
    try {
      for (const row of EMBEDDED_LIFECYCLE) {
        const run = await npmRun(row.script, row.args, env, marker);
        expect(run.code, `${row.script}: ${run.out}`).toBe(row.exit ?? 0);
        for (const pattern of row.prints) expect(run.out, row.script).toMatch(pattern);
        expect(run.out).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
      }
      expect(processesWith(marker), "processes left behind").toEqual([]);
    } finally {
      // Even after a failed row: stop whatever it started (the sweeper would, at the next run).
      await npmRun("db:stop", [], env, randomUUID()).catch(() => undefined);
      // The cluster too: it lives outside dataDir when the postgres user cannot reach that folder (mode 700 here).
      destroyEmbedded(dataDir);
    }
  }, 900_000);
});
