// A workload the project's catalog has never seen, run through the app's own
// pool so that pg_stat_statements and the server log hold it as an app would
// leave it: about twenty ordinary queries over the seeded schema, some with
// bind parameters, some with constants (which pg_stat_statements normalizes to
// $n: intervals, LIMITs, date arithmetic, left() lengths, IN lists), in the
// shapes issue #26 lists (keyset page, tags @> ARRAY[..], per-key counts,
// = ANY($1::bigint[]), LIKE, DISTINCT ON latest-per-group). Then advise
// --validate on it, timed. `npm run bench -- advise-workload`.
import { adviseDatabase, type AdviseReport } from "../advise/advise.ts";
import { dropScratchDatabase, recreateScratchDatabase, scratchDatabaseBeside } from "../db/scratch-database.ts";
import { EXIT, UserError } from "../base/errors.ts";
import { maskUrl, withSql, type DatabaseTarget, type Sql } from "../db/index.ts";
import { applyMigrations } from "../migrate/graphile.ts";
import { createDatabase, poolConfigFromEnv, type Database } from "../pool/index.ts";
import { seedDatabase, currentHourUtc } from "../seed/generate.ts";
import { saveParameterSamples } from "../observe/parameter-samples.ts";
import { compareWithVerify, formatAgreement, type Agreement } from "./advise-verify.ts";

export interface AdviseWorkloadOptions {
  readonly scale: number;
  readonly seed: number;
  /** Calls per statement (heavy ones get a third). */
  readonly rounds: number;
  /** Keep the scratch database (and re-use it when it is there: no re-seed). */
  readonly keep: boolean;
  /** Reuse the kept scratch database instead of re-seeding. */
  readonly reuse: boolean;
  readonly validate: boolean;
  /** With validate: time the accepted candidates' statements with verify's runCatalog before and after building them. */
  readonly verify?: boolean;
  readonly log: (line: string) => void;
}

interface Picks {
  readonly contactIds: readonly number[];
  readonly personIds: readonly number[];
  readonly taskIds: readonly number[];
  readonly names: readonly string[];
  readonly words: readonly string[];
  readonly emails: readonly string[];
  readonly tags: readonly string[];
}

type Db = Database["sql"];
interface WorkloadQuery {
  readonly name: string;
  /** Heavy: a third of the rounds. */
  readonly heavy?: boolean;
  readonly run: (sql: Db, p: Picks, i: number) => Promise<unknown>;
}

const pick = <T>(xs: readonly T[], i: number, salt = 0): T => xs[(i * 7919 + salt * 104_729) % xs.length]!;

/** Twenty-one statements; `i` varies the values call by call. */
export const ADVISE_WORKLOAD: readonly WorkloadQuery[] = [
  { name: "keyset page of active contacts", run: (sql, p, i) => sql`SELECT id, contact_name FROM phone_contacts WHERE is_active AND (contact_name, id) > (${pick(p.names, i)}, ${0}) ORDER BY contact_name, id LIMIT 50` },
  {
    name: "tagged contacts not contacted for 30 days",
    run: (sql, p, i) => sql`SELECT id, contact_name FROM phone_contacts WHERE tags @> ARRAY[${pick(p.tags, i)}]::text[] AND (last_contacted_at IS NULL OR last_contacted_at < now() - interval '30 days') ORDER BY last_contacted_at NULLS FIRST LIMIT 100`,
  },
  { name: "task counts per status for a contact", run: (sql, p, i) => sql`SELECT status, count(*) FROM scheduled_tasks WHERE contact_id = ${pick(p.contactIds, i)} GROUP BY status` },
  { name: "message previews of a contact", run: (sql, p, i) => sql`SELECT id, left(content, 80) AS preview, created_at FROM conversation_messages WHERE contact_id = ${pick(p.contactIds, i, 1)} ORDER BY created_at DESC LIMIT 20` },
  { name: "messages per day, last week", heavy: true, run: (sql) => sql`SELECT date_trunc('day', created_at) AS day, count(*) FROM conversation_messages WHERE created_at >= now() - interval '7 days' GROUP BY 1 ORDER BY 1` },
  { name: "contacts by id list", run: (sql, p, i) => sql`SELECT id, contact_name, phone_number FROM phone_contacts WHERE id = ANY(${[pick(p.contactIds, i), pick(p.contactIds, i, 2), pick(p.contactIds, i, 3)]}::bigint[])` },
  { name: "failed or queued messages today", heavy: true, run: (sql) => sql`SELECT count(*) FROM conversation_messages WHERE status IN ('failed', 'queued') AND created_at > now() - interval '1 day'` },
  { name: "contact name search", run: (sql, p, i) => sql`SELECT id, contact_name FROM phone_contacts WHERE contact_name ILIKE ${`%${pick(p.words, i)}%`} LIMIT 20` },
  { name: "top callers by cost this week", heavy: true, run: (sql) => sql`SELECT contact_id, sum(cost) FROM call_costs WHERE billing_date >= current_date - 7 GROUP BY contact_id ORDER BY 2 DESC LIMIT 10` },
  { name: "overdue pending tasks", run: (sql) => sql`SELECT id, title, due_at FROM scheduled_tasks WHERE status = 'pending' AND due_at < now() ORDER BY due_at LIMIT 50` },
  { name: "interaction mix of a person, 90 days", run: (sql, p, i) => sql`SELECT interaction_type, count(*) FROM relationship_interactions WHERE person_id = ${pick(p.personIds, i)} AND interaction_date > now() - interval '90 days' GROUP BY 1` },
  { name: "upcoming events of a contact", run: (sql, p, i) => sql`SELECT id, title, start_time FROM calendar_events WHERE contact_id = ${pick(p.contactIds, i, 4)} AND start_time BETWEEN now() AND now() + interval '14 days' ORDER BY start_time` },
  { name: "contact by email, any case", run: (sql, p, i) => sql`SELECT id FROM phone_contacts WHERE lower(email) = lower(${pick(p.emails, i)})` },
  { name: "inbound messages per channel, 30 days", heavy: true, run: (sql, _p, i) => sql`SELECT count(*) FROM conversation_messages WHERE channel = ${pick(["sms", "whatsapp", "email", "voice"], i)} AND direction = 'inbound' AND created_at >= current_date - 30` },
  { name: "call costs of a contact since a date", run: (sql, p, i) => sql`SELECT billing_date, cost FROM call_costs WHERE contact_id = ${pick(p.contactIds, i, 5)} AND billing_date >= ${"2025-01-01"} ORDER BY billing_date DESC LIMIT 31` },
  { name: "newest people of a relationship type", run: (sql, _p, i) => sql`SELECT id, name FROM people WHERE relationship_type = ${pick(["family", "friend", "colleague", "client", "vendor"], i)} ORDER BY created_at DESC LIMIT 25 OFFSET 0` },
  { name: "active triggers of a type", run: (sql, _p, i) => sql`SELECT id, name FROM workflow_triggers WHERE is_active AND trigger_type = ${pick(["message_received", "call_missed"], i)}` },
  { name: "reprioritize a task", run: (sql, p, i) => sql`UPDATE scheduled_tasks SET priority = ${1 + (i % 5)} WHERE id = ${pick(p.taskIds, i)}` },
  { name: "latest message per contact, 3 days (DISTINCT ON)", heavy: true, run: (sql) => sql`SELECT DISTINCT ON (contact_id) contact_id, content, created_at FROM conversation_messages WHERE created_at > now() - interval '3 days' ORDER BY contact_id, created_at DESC` },
  { name: "largest companies among active contacts", heavy: true, run: (sql) => sql`SELECT company, count(*) FROM phone_contacts WHERE company IS NOT NULL AND is_active GROUP BY company ORDER BY 2 DESC LIMIT 10` },
  { name: "phone prefixes of recent contacts", run: (sql, _p, i) => sql`SELECT substr(phone_number, 1, 4) AS prefix, count(*) FROM phone_contacts WHERE created_at > ${new Date(Date.now() - (30 + (i % 30)) * 86_400_000)} GROUP BY 1` },
];

async function readPicks(sql: Sql): Promise<Picks> {
  // Spread over the table (every k-th row), or any rows when the table is tiny; never empty.
  const rows = async (column: string, from: string, where = "true", fallback: string) => {
    const spread = await sql.unsafe(`SELECT ${column} AS v FROM ${from} WHERE ${where} AND id % 37 = 0 LIMIT 300`);
    const any = spread.length > 0 ? spread : await sql.unsafe(`SELECT ${column} AS v FROM ${from} WHERE ${where} LIMIT 300`);
    const values = any.map((r) => (r as unknown as { v: unknown }).v).filter((v) => v !== null && v !== undefined);
    return values.length > 0 ? values : [fallback];
  };
  const names = (await rows("contact_name", "phone_contacts", "true", "a")).map(String);
  return {
    // Recent messages' contacts: the seed's heavy contacts come up often, as in an app.
    contactIds: (await rows("contact_id", "conversation_messages", "true", "0")).map(Number),
    personIds: (await rows("person_id", "relationship_interactions", "true", "0")).map(Number),
    taskIds: (await rows("id", "scheduled_tasks", "true", "0")).map(Number),
    names,
    words: [...new Set(names.flatMap((n) => n.match(/[A-Za-z]{4,}/g) ?? []).map((w) => w.toLowerCase()))].slice(0, 50).concat("anna"),
    emails: (await rows("email", "phone_contacts", "email IS NOT NULL", "nobody@example.com")).map(String),
    tags: [...new Set((await rows("unnest(tags)", "phone_contacts", "true", "vip")).map(String))].slice(0, 20),
  };
}

/**
 * Run the workload through the app's pool (pool settings from the
 * environment, this target), then store the pool monitor's parameter sample
 * in the monitor schema, as `npm run serve`'s capture does.
 */
export async function runAdviseWorkload(target: DatabaseTarget, rounds: number, log: (line: string) => void): Promise<{ calls: number; ms: number; sampled: number }> {
  const picks = await withSql(target, readPicks, { max: 1, applicationName: "bollalabz-db/bench" });
  const db = createDatabase(poolConfigFromEnv({}, { target }));
  const started = performance.now();
  let calls = 0;
  try {
    for (const q of ADVISE_WORKLOAD) {
      const n = q.heavy ? Math.max(2, Math.ceil(rounds / 3)) : rounds;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        await q.run(db.sql, picks, i);
        calls++;
      }
      log(`  ${q.name}: ${n} calls, ${((performance.now() - t0) / n).toFixed(1)} ms mean`);
    }
  } finally {
    await db.close();
  }
  const ms = performance.now() - started;
  const sampled = await withSql(target, (sql) => saveParameterSamples(sql, db.config.applicationName, db.parameterSamples()), { max: 1, applicationName: "bollalabz-db/bench" });
  return { calls, ms, sampled };
}

export interface AdviseWorkloadResult {
  readonly database: string;
  readonly seedMs: number | null;
  readonly workload: { readonly calls: number; readonly ms: number; readonly sampled: number };
  readonly adviseMs: number;
  readonly report: AdviseReport;
  readonly agreement: readonly Agreement[] | null;
}

export async function runAdviseWorkloadBench(target: DatabaseTarget, options: AdviseWorkloadOptions): Promise<AdviseWorkloadResult> {
  const rootUrl = target.rootUrl ?? process.env.ROOT_DATABASE_URL;
  if (!rootUrl) throw new UserError("The advise-workload bench creates a scratch database and needs a superuser connection: set ROOT_DATABASE_URL (the embedded server provides one).", EXIT.usage);
  const url = new URL(target.url);
  const name = scratchDatabaseBeside(target, "advise_bench");
  url.pathname = `/${name}`;
  const bench: DatabaseTarget = { url: url.toString(), display: maskUrl(url.toString()), source: target.source, rootUrl };
  const root: DatabaseTarget = { url: rootUrl, display: maskUrl(rootUrl), source: "ROOT_DATABASE_URL" };
  const exists = await withSql(root, async (sql) => (await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`).length > 0, { max: 1 });
  let seedMs: number | null = null;
  if (!(options.reuse && exists)) {
    await withSql(root, (sql) => recreateScratchDatabase(sql, name), { max: 1 });
    options.log(`scratch database ${bench.display}: migrating, seeding at scale ${options.scale} ...`);
    await applyMigrations(bench);
    const seeded = await withSql(bench, (sql) => seedDatabase(sql, { scale: options.scale, seed: options.seed, anchor: currentHourUtc() }), { max: 1 });
    seedMs = seeded.totalMs;
    await withSql(bench, (sql) => sql`VACUUM ANALYZE`, { max: 1 });
  } else options.log(`re-using scratch database ${bench.display}`);
  try {
    await withSql(bench, (sql) => sql`SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`, { max: 1 });
    options.log("workload through the app's pool:");
    const workload = await runAdviseWorkload(bench, options.rounds, options.log);
    const t0 = performance.now();
    // showValues: the comparison with verify needs the value sets (the bench prints none).
    const report = await withSql(bench, (sql) => adviseDatabase(sql, bench, { validate: options.validate, log: options.log, showValues: true }), { max: 1, applicationName: "bollalabz-db/advise" });
    const adviseMs = performance.now() - t0;
    const agreement = options.validate && options.verify !== false ? await compareWithVerify(bench, report, options.log) : null;
    return { database: bench.display, seedMs, workload, adviseMs, report, agreement };
  } finally {
    if (!options.keep) await withSql(root, (sql) => dropScratchDatabase(sql, name), { max: 1 }).catch(() => {});
  }
}

/** The figures: per statement what was done and why, per candidate before/after. */
export function formatAdviseWorkload(r: AdviseWorkloadResult): string {
  const s = r.report.statements;
  const by = (f: (x: (typeof s)[number]) => boolean) => s.filter(f).length;
  const lines = [
    `advise-workload on ${r.database}${r.seedMs !== null ? ` (seeded in ${(r.seedMs / 1000).toFixed(0)} s)` : ""}`,
    `workload: ${r.workload.calls} calls in ${(r.workload.ms / 1000).toFixed(1)} s through the app's pool (its monitor sampled the parameters of ${r.workload.sampled} statement(s))`,
    `advise${r.report.experiments.startsWith("allowed") ? " --validate" : ""}: ${(r.adviseMs / 1000).toFixed(1)} s for ${s.length} statements; ${r.report.workload}`,
    `analyzed: ${by((x) => !x.skipped)} of ${s.length} (values: ${by((x) => x.values.source === "log")} log, ${by((x) => x.values.source === "monitor")} pool monitor, ${by((x) => x.values.source === "inferred")} inferred, ${by((x) => x.values.source === "generic")} generic plan only; ${by((x) => x.values.representative.verdict === "unrepresentative")} unrepresentative)`,
    "",
  ];
  for (const x of s) lines.push(`- ${x.query.slice(0, 110)}${x.query.length > 110 ? "..." : ""}\n    ${x.skipped ?? `${x.values.source}, ${x.values.representative.verdict}; ${x.problems.map((p) => p.kind).join(", ") || "no problem"}; ${x.medianMs ?? "-"} ms; candidates: ${x.candidates.join(", ") || "-"}`}`);
  lines.push("", "candidates (before -> after ms per call, build, size, write cost):");
  for (const c of r.report.candidates) {
    const w = c.writeCost;
    const writes = w ? `; insert ${w.insertRowsPerSecWithout ?? "-"} -> ${w.insertRowsPerSecWith ?? "-"} rows/s, update ${w.updateRowsPerSecWithout ?? "-"} -> ${w.updateRowsPerSecWith ?? "-"} rows/s; ${c.weighing?.summary ?? ""}` : c.writeOverhead ? `; ${c.writeOverhead}` : "";
    lines.push(`- ${c.name} ON ${c.table} ${c.definition}: ${c.afterMs ? c.afterMs.map((a) => `${c.beforeMs.find((b) => b.statement === a.statement)?.ms ?? "-"} -> ${a.ms}`).join("; ") : "not validated"}; ${c.buildMs ?? "-"} ms build; ${c.bytes ?? "-"} bytes; ${c.verdict}${writes}`);
  }
  if (r.agreement) lines.push("", ...formatAgreement(r.agreement));
  return lines.join("\n");
}
