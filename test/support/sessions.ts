// Extra single-connection sessions a test drives by hand (a lock holder, a
// sleeper, an idle-in-transaction session), each with its own
// application_name so it can be found in pg_stat_activity; closed together.
import postgres from "postgres";
import type { Sql } from "../../src/db/index.ts";

export interface Sessions {
  open(url: string, applicationName: string): Sql;
  pidOf(session: Sql): Promise<number>;
  closeAll(): Promise<void>;
}

export function testSessions(): Sessions {
  const open: Sql[] = [];
  return {
    open(url, applicationName) {
      const session = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: applicationName } }) as unknown as Sql;
      open.push(session);
      return session;
    },
    pidOf: async (session) => ((await session`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }])[0].pid,
    closeAll: async () => {
      await Promise.all(open.splice(0).map((s) => s.end({ timeout: 1 })));
    },
  };
}
