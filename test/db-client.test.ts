// src/db/client.ts: a closed client leaves nothing behind. A command that has
// printed its connection error must end right away; postgres.js alone keeps a
// socket the server never answered (half-closed) and its connect timer alive
// after end(), so the process lingered up to connect_timeout (~5 s) after a
// "connection timed out". Here the timeout is 120 s: the child ends on its own
// only if end() really closed the socket.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { commandApplicationName, openSql } from "../src/db/client.ts";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";
import { waitFor } from "./support/wait-for.ts";

describe("openSql end()", () => {
  const held = new Set<net.Socket>();
  // Accepts and never answers nor closes (a hung server, a proxy without backends).
  const peer = net.createServer({ allowHalfOpen: true }, (socket) => {
    held.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => held.delete(socket));
  });
  afterAll(() => {
    for (const socket of held) socket.destroy();
    peer.close();
  });

  it("closes a socket the server never answered: the process ends right after (no wait for the connect timeout)", async () => {
    const port = await new Promise<number>((resolve) => peer.listen(0, "127.0.0.1", () => resolve((peer.address() as net.AddressInfo).port)));
    const script = `
      import { openSql } from ${JSON.stringify(path.join(PROJECT_ROOT, "src", "db", "client.ts"))};
      const sql = openSql({ url: "postgres://u:p@127.0.0.1:${port}/db" }, { connectTimeoutSeconds: 120 });
      sql\`SELECT 1\`.catch((e) => console.log("query:", e.code));
      process.stdin.once("data", async () => { await sql.end({ timeout: 0 }); console.log("ended"); });`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let exited = false;
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", () => (exited = true));
    try {
      await waitFor(async () => held.size, (n) => n > 0, "the client to connect to the silent peer");
      const asked = performance.now();
      child.stdin.end("end\n");
      await waitFor(async () => exited, Boolean, "the child to exit by itself", 30_000);
      console.log(`child exited ${(performance.now() - asked).toFixed(0)} ms after end() was asked for`);
      expect(output).toContain("ended");
      expect(output).toMatch(/query: CONNECTION_(DESTROYED|ENDED|CLOSED)/);
    } finally {
      if (!exited) child.kill("SIGKILL");
    }
  }, 90_000);
});

describe("every connection a command opens names the command (application_name bollalabz-db/<verb>)", () => {
  it("takes the verb from the script, or from the one bin script's first argument", () => {
    expect(commandApplicationName(["node", "/p/scripts/verify.ts"])).toBe("bollalabz-db/verify");
    expect(commandApplicationName(["node", "/p/scripts/bollalabz-db.ts", "advise", "--validate"])).toBe("bollalabz-db/advise");
    expect(commandApplicationName(["node"])).toBe("bollalabz-db");
  });

  it("the server sees it on a client opened without a name", async () => {
    const sql = openSql({ url: inject("testRootUrl") }, { max: 1 });
    try {
      const [row] = await sql<{ name: string }[]>`SELECT current_setting('application_name') AS name`;
      expect(row!.name).toBe(commandApplicationName());
      expect(row!.name).toMatch(/^bollalabz-db\//);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
