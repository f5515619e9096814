// The package as an application uses it: a separate tiny app (its own
// directory and package.json) that depends on bollalabz-db the way
// `npm install file:../bollalabz-db` links it (a symlink in node_modules),
// imports only through the package name, mounts the health plugin under its
// own prefix, calls it over HTTP; and the same app type-checked by tsc from
// the consumer's side (an export it uses that disappears fails the test).
import { spawnSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/config/project.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";

const FIXTURE = path.join(PROJECT_ROOT, "test", "fixtures", "consumer");
const TOKEN = "consumer-token-0123456789";
const appDir = mkdtempSync(path.join(tmpdir(), "bollalabz-consumer-"));
const TSC = path.join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");

function run(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs ?? 120_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("package exports, from a separate application", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createDatabase("pkgexports");
    await db.sql`CREATE EXTENSION pg_stat_statements`;
    const version = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies.fastify;
    writeFileSync(
      path.join(appDir, "package.json"),
      JSON.stringify({ name: "tiny-app", private: true, type: "module", dependencies: { "bollalabz-db": `file:${PROJECT_ROOT}`, fastify: version } }, null, 2),
    );
    // What npm install makes of those dependencies, without the network: a
    // symlink for the file: dependency; the app's own fastify and @types/node
    // linked from this checkout's node_modules.
    mkdirSync(path.join(appDir, "node_modules", "@types"), { recursive: true });
    symlinkSync(PROJECT_ROOT, path.join(appDir, "node_modules", "bollalabz-db"), "dir");
    symlinkSync(path.join(PROJECT_ROOT, "node_modules", "fastify"), path.join(appDir, "node_modules", "fastify"), "dir");
    symlinkSync(path.join(PROJECT_ROOT, "node_modules", "@types", "node"), path.join(appDir, "node_modules", "@types", "node"), "dir");
    copyFileSync(path.join(FIXTURE, "app.ts"), path.join(appDir, "app.ts"));
    copyFileSync(path.join(FIXTURE, "tsconfig.json"), path.join(appDir, "tsconfig.json"));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(appDir, { recursive: true, force: true });
  });

  it("the app registers the health plugin under its own prefix next to its own route on the package's pool", async () => {
    const result = await run(["app.ts"], { cwd: appDir, env: { DATABASE_URL: db.url, HEALTH_API_TOKEN: TOKEN, POOL_MAX: "5" } });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(out.health).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(out.databaseNoToken.status).toBe(401);
    expect(out.database.status).toBe(200);
    expect(out.database.body).toMatchObject({ invalidIndexes: { count: 0 } });
    expect(out.metrics.status).toBe(200);
    expect(out.metrics.body).toMatch(/^bollalabz_db_up 1$/m);
    expect(out.own).toMatchObject({ status: 200, body: { tables: expect.any(Number) } });
    // The app's own query went through the monitored pool.
    expect(out.queryCount).toBeGreaterThanOrEqual(1);
    expect(out.poolMax).toBe(5);
    expect(out).toMatchObject({ invalidIndexes: 0, pgStatStatements: true, maintenanceExit: 0 });
  });

  it("type-checks from the consumer's side, and fails when an import names an export that does not exist", () => {
    const ok = spawnSync(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: appDir, encoding: "utf8", timeout: 120_000 });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);

    const broken = path.join(appDir, "broken.ts");
    writeFileSync(broken, `import { healthPlugin, healthPluginThatWasRemoved } from "bollalabz-db/health";\nimport { createDatabase } from "bollalabz-db/no-such-entry";\nvoid healthPlugin; void healthPluginThatWasRemoved; void createDatabase;\n`);
    try {
      const bad = spawnSync(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: appDir, encoding: "utf8", timeout: 120_000 });
      expect(bad.status).not.toBe(0);
      expect(bad.stdout).toMatch(/broken\.ts.*TS2305: Module '"bollalabz-db\/health"' has no exported member 'healthPluginThatWasRemoved'/);
      expect(bad.stdout).toMatch(/broken\.ts.*TS2307: Cannot find module 'bollalabz-db\/no-such-entry'/);
    } finally {
      unlinkSync(broken);
    }
  });

  it("inside this project the package name resolves to itself (Node self-reference)", async () => {
    const script = `const entries = ["bollalabz-db", "bollalabz-db/pool", "bollalabz-db/health", "bollalabz-db/checks", "bollalabz-db/maintenance"];
      const out = {};
      for (const e of entries) out[e] = Object.keys(await import(e)).sort();
      console.log(JSON.stringify(out));`;
    const result = await run(["--input-type=module", "-e", script], { cwd: PROJECT_ROOT });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, string[]>;
    expect(out["bollalabz-db"]).toEqual(expect.arrayContaining(["createDatabase", "poolConfigFromEnv", "parsePoolSettings", "healthPlugin", "metricsPlugin", "findInvalidIndexes", "estimateBtreeBloat"]));
    expect(out["bollalabz-db/pool"]).toEqual(expect.arrayContaining(["createDatabase", "poolConfigFromEnv", "QueryMonitor"]));
    expect(out["bollalabz-db/health"]).toEqual(expect.arrayContaining(["healthPlugin", "metricsPlugin", "buildHealthApp", "startHealthServer"]));
    expect(out["bollalabz-db/checks"]).toEqual(expect.arrayContaining(["findRedundantIndexes", "cacheHitRatio", "findSequencesNearOverflow", "findDeadTupleTables"]));
    expect(out["bollalabz-db/maintenance"]).toEqual(expect.arrayContaining(["runMaintenance", "reindexConcurrently", "formatMaintenanceReport"]));
  });
});
