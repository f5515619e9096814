// Expected database failures under a command print one clear line with a
// documented exit code, whichever layer they surface from (real errors from
// the test server, not hand-made ones).
import { inject, describe, expect, it } from "vitest";
import { EXIT, UserError } from "../src/base/errors.ts";
import { operationalFailure } from "../src/commands/run-command.ts";
import { openSql } from "../src/db/index.ts";
import { waitFor } from "./support/wait-for.ts";

const caught = async (work: () => Promise<unknown>) => work().then(() => undefined, (error: unknown) => error);

describe("operationalFailure", () => {
  it("a statement cancelled by statement_timeout: exit 5, says what happened and what to do", async () => {
    const sql = openSql({ url: inject("testRootUrl") }, { max: 1 });
    try {
      const error = await caught(() => sql.begin(async (tx) => {
        await tx`SET LOCAL statement_timeout = 50`;
        await tx`SELECT pg_sleep(5)`;
      }));
      const failure = operationalFailure(error);
      expect(failure).toBeInstanceOf(UserError);
      expect(failure!.exitCode).toBe(EXIT.failed);
      expect(failure!.message).toMatch(/statement_timeout/);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it("a connection terminated mid-command: exit 3", async () => {
    const victim = openSql({ url: inject("testRootUrl") }, { max: 1 });
    const admin = openSql({ url: inject("testRootUrl") }, { max: 1 });
    try {
      const [me] = await victim<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      const pid = me!.pid;
      const running = caught(() => victim`SELECT pg_sleep(30)`);
      // Wait until the sleep is really running, then end that backend.
      await waitFor(
        async () => (await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid} AND query LIKE '%pg_sleep(30)%' AND state = 'active'`)[0]!.n,
        (n) => n > 0,
        "the sleep to be running",
      );
      await admin`SELECT pg_terminate_backend(${pid})`;
      const failure = operationalFailure(await running);
      expect(failure?.exitCode).toBe(EXIT.unreachable);
      expect(failure!.message).toMatch(/connection/);
    } finally {
      await victim.end({ timeout: 1 }).catch(() => {});
      await admin.end({ timeout: 1 });
    }
  });

  it("anything else stays a bug (undefined: the stack trace is printed)", () => {
    expect(operationalFailure(new TypeError("x is undefined"))).toBeUndefined();
    expect(operationalFailure(Object.assign(new Error("syntax error"), { code: "42601" }))).toBeUndefined();
  });
});
