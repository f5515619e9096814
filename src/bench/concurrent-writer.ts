// A stand-in for live traffic during a migration: one session that inserts
// and updates rows back to back (messages, contacts, tasks) and records each
// statement's latency. A plain CREATE INDEX holds a SHARE lock that blocks
// every write to its table for the whole build; CREATE INDEX CONCURRENTLY
// does not, so the writer's worst latency tells the two apart.
import { openSql, type DatabaseTarget } from "../db/index.ts";

export interface WriterSample {
  /** ms since the writer started */
  readonly at: number;
  readonly ms: number;
  readonly statement: string;
}

export interface WriterStats {
  readonly statements: number;
  readonly errors: number;
  readonly worstMs: number;
  readonly worstStatement: string | null;
  /** ms since the writer started, when the worst statement began */
  readonly worstAt: number | null;
  readonly p99Ms: number;
  readonly durationMs: number;
  readonly firstError: string | null;
}

export interface Writer {
  /** Latency samples so far. */
  readonly samples: readonly WriterSample[];
  stop(): Promise<WriterStats>;
}

interface Step {
  readonly name: string;
  run(): Promise<unknown>;
}

/** Start writing; `pauseMs` between statements keeps it from saturating a small machine. */
export async function startWriter(target: Pick<DatabaseTarget, "url">, options: { pauseMs?: number } = {}): Promise<Writer> {
  const sql = openSql(target, { max: 1, applicationName: "bollalabz-db writer" });
  const [range] = (await sql`
    SELECT (SELECT min(id) FROM phone_contacts) AS "minContact", (SELECT max(id) FROM phone_contacts) AS "maxContact",
           (SELECT max(id) FROM conversation_messages) AS "maxMessage", (SELECT max(id) FROM scheduled_tasks) AS "maxTask"`) as unknown as [
    { minContact: number | null; maxContact: number | null; maxMessage: number | null; maxTask: number | null },
  ];
  let minContact = range.minContact;
  let maxContact = range.maxContact;
  if (minContact === null || maxContact === null) {
    const [row] = (await sql`INSERT INTO phone_contacts (contact_name, phone_number) VALUES ('Writer', '+15550000000') RETURNING id`) as unknown as [{ id: number }];
    minContact = maxContact = row.id;
  }
  const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
  const contact = () => between(minContact!, maxContact!);
  const steps: Step[] = [
    { name: "insert message", run: () => sql`INSERT INTO conversation_messages (contact_id, direction, channel, content) VALUES (${contact()}, 'inbound', 'sms', ${`writer ${Date.now()}`})` },
    { name: "update message", run: () => sql`UPDATE conversation_messages SET status = 'read' WHERE id = ${between(1, range.maxMessage ?? 1)}` },
    { name: "update contact", run: () => sql`UPDATE phone_contacts SET updated_at = now(), last_contacted_at = now() WHERE id = ${contact()}` },
    { name: "insert task", run: () => sql`INSERT INTO scheduled_tasks (contact_id, title, due_at) VALUES (${contact()}, 'writer follow-up', now() + interval '1 day')` },
    { name: "update task", run: () => sql`UPDATE scheduled_tasks SET priority = 2, updated_at = now() WHERE id = ${between(1, range.maxTask ?? 1)}` },
  ];

  const samples: WriterSample[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let stopping = false;
  const started = performance.now();
  const loop = (async () => {
    for (let i = 0; !stopping; i++) {
      const step = steps[i % steps.length]!;
      const t0 = performance.now();
      try {
        await step.run();
      } catch (error) {
        errors++;
        firstError ??= `${step.name}: ${(error as Error).message}`;
      }
      samples.push({ at: t0 - started, ms: performance.now() - t0, statement: step.name });
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  })();

  return {
    samples,
    async stop() {
      stopping = true;
      await loop;
      await sql.end({ timeout: 5 });
      const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
      const worst = samples.reduce<WriterSample | null>((w, s) => (!w || s.ms > w.ms ? s : w), null);
      return {
        statements: samples.length,
        errors,
        worstMs: worst?.ms ?? 0,
        worstStatement: worst?.statement ?? null,
        worstAt: worst?.at ?? null,
        p99Ms: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! : 0,
        durationMs: performance.now() - started,
        firstError,
      };
    },
  };
}
