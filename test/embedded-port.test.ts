// The embedded server's port is taken atomically: a port found free can be
// taken by another process before the postmaster binds it (initdb alone takes
// seconds), so the bind itself decides, and a lost race means another free
// port (or exit 4 when EMBEDDED_PG_PORT pins the port). Real servers only.
import { readFileSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT, UserError } from "../src/base/errors.ts";
import { destroyEmbedded, findFreePort, startEmbedded, stateFile } from "../src/embedded/server.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const dirs: string[] = [];
const blockers: net.Server[] = [];
function scratch(): string {
  const dir = suiteServerDir("port");
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const blocker of blockers) await new Promise((resolve) => blocker.close(resolve));
  for (const dir of dirs) {
    destroyEmbedded(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Another process wins the port: listen on it the way a second postmaster would. */
async function occupy(port: number): Promise<void> {
  const blocker = net.createServer();
  await new Promise<void>((resolve, reject) => {
    blocker.once("error", reject);
    blocker.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve());
  });
  blockers.push(blocker);
}

async function answers(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [row] = await sql<{ port: string }[]>`SELECT current_setting('port') AS port`;
    return Number(row!.port);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe("embedded server port", () => {
  it("a port taken between the pick and the bind: starts on another free port", async () => {
    const dir = scratch();
    const wanted = await findFreePort();
    const tried: number[] = [];
    const lines: string[] = [];
    const server = await startEmbedded({
      baseDir: dir,
      port: wanted,
      noSync: true,
      log: (line) => lines.push(line),
      beforeBind: async (port) => {
        tried.push(port);
        if (port === wanted) await occupy(port);
      },
    });
    expect(tried[0]).toBe(wanted);
    expect(tried.length).toBeGreaterThanOrEqual(2);
    expect(server.port).not.toBe(wanted);
    expect(await answers(server.databaseUrl)).toBe(server.port);
    expect(JSON.parse(readFileSync(stateFile(dir), "utf8")).port).toBe(server.port);
    expect(lines.join("\n")).toContain(`port ${wanted} was taken by another process`);
  });

  it("a pinned port (EMBEDDED_PG_PORT) taken between the pick and the bind: exit 4 with the fix", async () => {
    const dir = scratch();
    const wanted = await findFreePort();
    const failure = await startEmbedded({ baseDir: dir, port: wanted, portExplicit: true, noSync: true, beforeBind: occupy }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UserError);
    expect((failure as UserError).exitCode).toBe(EXIT.notReady);
    expect((failure as UserError).message).toMatch(new RegExp(`Port ${wanted} on 127.0.0.1 is already in use.*unset EMBEDDED_PG_PORT`));
  });

  it("two servers started at the same moment in two base dirs, wanting the same port, both run", async () => {
    const wanted = await findFreePort();
    // Neither binds before both have picked their port: the windows overlap.
    let arrived = 0;
    let release!: () => void;
    const bothPicked = new Promise<void>((resolve) => (release = resolve));
    const barrier = async () => {
      if (++arrived === 2) release();
      await bothPicked;
    };
    const [a, b] = await Promise.all([
      startEmbedded({ baseDir: scratch(), port: wanted, noSync: true, beforeBind: barrier }),
      startEmbedded({ baseDir: scratch(), port: wanted, noSync: true, beforeBind: barrier }),
    ]);
    expect(new Set([a.port, b.port]).size).toBe(2);
    expect(await answers(a.databaseUrl)).toBe(a.port);
    expect(await answers(b.databaseUrl)).toBe(b.port);
  });

  it("two `npm run db:start`s in two base dirs at the same moment both succeed", async () => {
    const [dirA, dirB] = [scratch(), scratch()];
    const [a, b] = await Promise.all([runScript("db-start.ts", [], { EMBEDDED_PG_DIR: dirA, EMBEDDED_PG_PORT: "" }), runScript("db-start.ts", [], { EMBEDDED_PG_DIR: dirB, EMBEDDED_PG_PORT: "" })]);
    for (const result of [a, b]) {
      expect(result.code, result.stderr).toBe(EXIT.ok);
      expect(looksLikeCleanError(result.stderr) || result.stderr === "").toBe(true);
      expect(result.stdout).toContain("embedded PostgreSQL is running");
    }
    const portA = JSON.parse(readFileSync(stateFile(dirA), "utf8")).port as number;
    const portB = JSON.parse(readFileSync(stateFile(dirB), "utf8")).port as number;
    expect(portA).not.toBe(portB);
  });
});
