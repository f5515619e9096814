import net from "node:net";
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/base/errors.ts";
import { maskUrl, parseDatabaseUrl } from "../src/db/index.ts";
import { destroyEmbedded, findFreePort, startEmbedded, stopEmbedded } from "../src/embedded/server.ts";
import { tableChecksums } from "../src/seed/generate.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { migratedDatabase, seededDatabase, type TestDatabase } from "./support/databases.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

describe("bad input gets one clear error and changes nothing", () => {
  let db: TestDatabase;
  let before: Record<string, string>;
  beforeAll(async () => {
    db = await seededDatabase("badinput", 0.02);
    before = await tableChecksums(db.sql);
  });
  afterAll(async () => {
    expect(await tableChecksums(db.sql)).toEqual(before);
    await db.drop();
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--scale", "-1"], /--scale must be a number greater than 0/],
    [["--scale", "abc"], /--scale must be a number greater than 0.*got 'abc'/],
    [["--scale", "0"], /--scale must be a number greater than 0/],
    [["--seed", "1.5"], /--seed must be an integer/],
    [["--anchor", "2026-02-30"], /--anchor must be a date/],
  ])("seed %j exits 2 with a usage message", async (args, message) => {
    const result = await runScript("seed.ts", args, { DATABASE_URL: db.url });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(looksLikeCleanError(result.stderr)).toBe(true);
  });

  it.each([["verify.ts"], ["maintenance.ts"], ["bench.ts"]])("%s with an unwritable --json path exits 2 before any work", async (script) => {
    const result = await runScript(script, ["--json", "/proc/no-such-dir/out.json"], { DATABASE_URL: db.url });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/--json \/proc\/no-such-dir\/out.json: cannot write there/);
    expect(looksLikeCleanError(result.stderr)).toBe(true);
  });

  it("a malformed DATABASE_URL exits 2 and never prints the password", async () => {
    const result = await runScript("seed.ts", ["--scale", "1"], { DATABASE_URL: "mysql://user:s3cretpw@host/db" });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/scheme is 'mysql', expected 'postgres'/);
    expect(result.stderr).not.toContain("s3cretpw");
    expect(() => parseDatabaseUrl("postgres://u:p@h:5432/")).toThrow(/database name is missing/);
    expect(() => parseDatabaseUrl("not a url")).toThrow(/not a valid URL/);
    expect(maskUrl("postgres://u@h/db?password=pw1&sslmode=disable")).toBe("postgres://u@h/db?password=****&sslmode=disable");
    expect(maskUrl("postgres://u:pw2@h/db")).toBe("postgres://u:****@h/db");
  });

  it("a peer that accepts and closes the connection (not PostgreSQL) exits 3 within seconds, never hangs", async () => {
    // The client may reset the connection the liar is closing (it keeps sending its startup packet):
    // an expected ECONNRESET on the liar's side, which unhandled would fail the whole run.
    const liar = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    const port = await new Promise<number>((resolve) => liar.listen(0, "127.0.0.1", () => resolve((liar.address() as net.AddressInfo).port)));
    try {
      const result = await runScript("migrate.ts", [], { DATABASE_URL: `postgres://u:s3cretpw@127.0.0.1:${port}/db?sslpassword=k3y` }, 30_000);
      // "Never hangs": runScript kills the command after 30 s (code null), so exit 3 means it ended by itself.
      expect(result.code).toBe(EXIT.unreachable);
      expect(result.stderr).toMatch(/Cannot connect to .*timed out/);
      expect(result.stderr).not.toContain("s3cretpw");
      expect(result.stderr).not.toContain("k3y");
    } finally {
      liar.close();
    }
  });

  it("an unreachable server exits 3 quickly with the fix", async () => {
    const port = await findFreePort();
    for (const script of ["seed.ts", "migrate.ts"]) {
      const result = await runScript(script, [], { DATABASE_URL: `postgres://u:s3cretpw@127.0.0.1:${port}/db` });
      expect(result.code, script).toBe(EXIT.unreachable);
      expect(result.stderr).toMatch(/connection refused/);
      expect(result.stderr).not.toContain("s3cretpw");
      expect(looksLikeCleanError(result.stderr)).toBe(true);
    }
  });

  it("seeding refuses to delete rows the generator did not write, unless --replace-data", async () => {
    const real = await migratedDatabase("realdata");
    try {
      await real.sql`INSERT INTO phone_contacts (contact_name, phone_number) VALUES ('Real Customer', '+15550009999')`;
      const refused = await runScript("seed.ts", ["--scale", "0.01"], { DATABASE_URL: real.url });
      expect(refused.code).toBe(EXIT.notReady);
      expect(refused.stderr).toMatch(/already holds data the generator did not write \(phone_contacts\).*--replace-data/);
      expect(looksLikeCleanError(refused.stderr)).toBe(true);
      const [kept] = await real.sql`SELECT count(*)::int AS n FROM phone_contacts WHERE contact_name = 'Real Customer'`;
      expect(kept!.n).toBe(1);

      const replaced = await runScript("seed.ts", ["--scale", "0.01", "--replace-data"], { DATABASE_URL: real.url });
      expect(replaced.code, replaced.stderr).toBe(EXIT.ok);
      // Now it is the generator's data set: a plain re-seed may replace it.
      const again = await runScript("seed.ts", ["--scale", "0.01"], { DATABASE_URL: real.url });
      expect(again.code, again.stderr).toBe(EXIT.ok);
    } finally {
      await real.drop();
    }
  });

  it("seeding never empties a table outside the eight that references them", async () => {
    const other = await seededDatabase("outsidefk", 0.01);
    try {
      await other.sql`CREATE TABLE app_audit (id serial PRIMARY KEY, note text NOT NULL, contact_id bigint REFERENCES phone_contacts (id) ON DELETE SET NULL)`;
      await other.sql`INSERT INTO app_audit (note) VALUES ('real user data')`;
      const result = await runScript("seed.ts", ["--scale", "0.01"], { DATABASE_URL: other.url });
      expect(result.code).toBe(EXIT.notReady);
      expect(result.stderr).toMatch(/Cannot empty the eight tables: .*app_audit/);
      const [row] = await other.sql`SELECT count(*)::int AS n FROM app_audit`;
      expect(row!.n).toBe(1);
    } finally {
      await other.drop();
    }
  });

  it("seeding a database without the schema says to migrate first", async () => {
    const url = new URL(db.url);
    url.pathname = "/postgres";
    const result = await runScript("seed.ts", ["--scale", "0.01"], { DATABASE_URL: url.toString() });
    expect(result.code).toBe(EXIT.notReady);
    expect(result.stderr).toMatch(/base schema is missing.*npm run migrate/);
  });
});

describe("embedded server edge cases", () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = suiteServerDir("edge");
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) {
      destroyEmbedded(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a server without pg_stat_statements preloaded is refused by migrate with the fix (exit 4)", async () => {
    const server = await startEmbedded({
      baseDir: scratch(),
      port: await findFreePort(),
      noSync: true,
      extraSettings: [{ name: "shared_preload_libraries", value: "", reason: "test: not preloaded" }],
    });
    const result = await runScript("migrate.ts", [], { DATABASE_URL: server.databaseUrl });
    expect(result.code).toBe(EXIT.notReady);
    expect(result.stderr).toMatch(/pg_stat_statements is not ready \(preloaded\).*shared_preload_libraries/);
    expect(looksLikeCleanError(result.stderr)).toBe(true);
  });

  it("a lost data directory is reported, not silently replaced by an empty cluster", async () => {
    const dir = scratch();
    const server = await startEmbedded({ baseDir: dir, port: await findFreePort(), noSync: true });
    stopEmbedded(dir);
    rmSync(server.dataDir, { recursive: true, force: true });
    const result = await runScript("db-start.ts", [], { EMBEDDED_PG_DIR: dir });
    expect(result.code).toBe(EXIT.notReady);
    expect(result.stderr).toMatch(/data directory .* is gone.*delete .*embedded.json/);
  });

  it("a busy port: picks a free one, or refuses clearly when the port was asked for", async () => {
    const blocker = net.createServer();
    const busy = await new Promise<number>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      const dir = scratch();
      const asked = await runScript("db-start.ts", [], { EMBEDDED_PG_DIR: dir, EMBEDDED_PG_PORT: String(busy) });
      expect(asked.code).toBe(EXIT.notReady);
      expect(asked.stderr).toMatch(new RegExp(`Port ${busy} on 127.0.0.1 is already in use`));

      const server = await startEmbedded({ baseDir: dir, port: busy, noSync: true });
      expect(server.port).not.toBe(busy);
      const status = await runScript("db-status.ts", [], { EMBEDDED_PG_DIR: dir });
      expect(status.code).toBe(EXIT.ok);
      expect(status.stdout).toContain(`127.0.0.1:${server.port}`);
      expect(status.stdout).not.toContain(server.password);
    } finally {
      blocker.close();
    }
  });
});
