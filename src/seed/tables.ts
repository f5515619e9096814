// What the generator writes, table by table: row counts per scale and the
// set-based INSERT ... SELECT that makes rows [from, to] of that table.
//
// Every random choice is pg_temp.rnd(seed, stream, row) — a hash of the seed,
// a per-column stream number and the row id — so the data does not depend on
// execution order: same seed, scale and anchor day -> identical rows.
// Times are relative to the anchor ($2, the start of the current UTC hour
// unless given), so "the last 24 hours" and "the last 30 days" always have data. Streams must not repeat within
// one table (sentence(first, n) uses n + 1 streams from first).
import {
  COMPANIES, EMAIL_DOMAINS, EVENT_TITLES, FIRST_NAMES, LAST_NAMES, LOCATIONS, RARE_WORDS, TAGS, WORDS, WORKFLOW_NAMES, sqlTextArray,
} from "./vocabulary.ts";

export interface SeedTable {
  readonly table: string;
  /** Rows at scale 1 (scale 10 is the benchmark scale). */
  readonly rowsPerScale: number;
  /**
   * INSERT for rows $3..$4. Parameters: $1 seed, $2 anchor (timestamptz),
   * $3 first id, $4 last id, $5 contacts count, $6 people count.
   */
  readonly insertSql: string;
}

const pick = (list: readonly string[], stream: number, skew = 1) =>
  `(${sqlTextArray(list)})[1 + floor(${list.length} * pg_temp.rnd($1, ${stream}, i) ^ ${skew})::int]`;

/** 4..max words, common words far more likely than rare ones. */
const sentence = (firstStream: number, maxWords: number) => {
  const words = Array.from({ length: maxWords }, (_, k) => pick(WORDS, firstStream + k, 2.2));
  return `array_to_string((ARRAY[${words.join(",")}])[1:4 + floor(${maxWords - 3} * pg_temp.rnd($1, ${firstStream + maxWords}, i))::int], ' ')`;
};

/** About 1 row in 200 gets a rare word appended (a search term that exists but is rare). */
const maybeRare = (stream: number) => `CASE WHEN pg_temp.rnd($1, ${stream}, i) < 0.005 THEN ' ' || ${pick(RARE_WORDS, stream + 1)} ELSE '' END`;

/** A contact id skewed Zipf-like (a few contacts get thousands of rows) and scattered over the id range. */
const skewedContact = (stream: number) => `1 + (floor($5 * pg_temp.rnd($1, ${stream}, i) ^ 3)::bigint * 7919) % $5`;
const skewedPerson = (stream: number) => `1 + (floor($6 * pg_temp.rnd($1, ${stream}, i) ^ 2)::bigint * 7919) % $6`;

/** 24 months back from the anchor, denser recently (~8.6% in the last 30 days). */
const historyTime = (stream: number) => `$2::timestamptz - interval '730 days' * pg_temp.rnd($1, ${stream}, i) ^ 1.3`;

export const RND_FUNCTION_SQL = `
CREATE OR REPLACE FUNCTION pg_temp.rnd(seed integer, stream integer, i bigint)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8extended(i, seed::bigint * 1000003 + stream) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$`;

/** The ids of the rows one INSERT makes ($3..$4), as `i`. */
const ROW_IDS = "generate_series($3::bigint, $4::bigint) AS i";

/** A table's entry: the INSERT of `columns` (ids included: OVERRIDING SYSTEM VALUE) from `select`, which makes rows i of ROW_IDS. */
const generated = (table: string, rowsPerScale: number, columns: string, select: string): SeedTable => ({
  table,
  rowsPerScale,
  insertSql: `\nINSERT INTO ${table} (${columns})\nOVERRIDING SYSTEM VALUE\n${select.replace(/^\n/, "")}`,
});

export const SEED_TABLES: readonly SeedTable[] = [
  generated("phone_contacts", 10_000, "id, contact_name, email, phone_number, company, is_active, tags, metadata, last_contacted_at, created_at, updated_at", `
SELECT i, first || ' ' || last,
       CASE WHEN pg_temp.rnd($1, 3, i) < 0.9 THEN lower(first) || '.' || lower(last) || i || '@' || ${pick(EMAIL_DOMAINS, 4)} END,
       '+1' || (2000000000 + i)::text,
       CASE WHEN pg_temp.rnd($1, 5, i) < 0.6 THEN ${pick(COMPANIES, 6)} END,
       pg_temp.rnd($1, 7, i) < 0.85,
       CASE WHEN pg_temp.rnd($1, 8, i) < 0.5 THEN ARRAY[${pick(TAGS, 9, 3)}] ELSE '{}' END,
       jsonb_build_object('source', (ARRAY['import','web_form','inbound_call','referral'])[1 + floor(4 * pg_temp.rnd($1, 10, i))::int],
                          'lifecycle', (ARRAY['lead','customer','customer','customer','churned'])[1 + floor(5 * pg_temp.rnd($1, 11, i))::int],
                          'vip', pg_temp.rnd($1, 12, i) < 0.03),
       created_at + (anchor - created_at) * pg_temp.rnd($1, 13, i),
       created_at,
       created_at + (anchor - created_at) * pg_temp.rnd($1, 14, i) ^ 0.5
FROM (SELECT i, $2::timestamptz AS anchor,
             ${pick(FIRST_NAMES, 1, 1.6)} AS first,
             ${pick(LAST_NAMES, 2, 1.6)} AS last,
             $2::timestamptz - interval '1095 days' * pg_temp.rnd($1, 15, i) ^ 0.8 AS created_at
      FROM ${ROW_IDS}) AS g`),
  generated("conversation_messages", 200_000, "id, contact_id, direction, channel, content, status, metadata, created_at", `
SELECT i, ${skewedContact(20)}, direction,
       (ARRAY['sms','sms','sms','sms','sms','sms','sms','whatsapp','whatsapp','email'])[1 + floor(10 * pg_temp.rnd($1, 22, i))::int],
       ${sentence(30, 14)} || ${maybeRare(48)},
       CASE WHEN direction = 'inbound' THEN (ARRAY['delivered','read','read'])[1 + floor(3 * pg_temp.rnd($1, 23, i))::int]
            ELSE (ARRAY['sent','delivered','delivered','read','failed','queued'])[1 + floor(CASE WHEN pg_temp.rnd($1, 47, i) < 0.001 THEN 6 ELSE 5 END * pg_temp.rnd($1, 23, i))::int] END,
       jsonb_strip_nulls(jsonb_build_object(
         'provider', (ARRAY['twilio','twilio','vonage','messagebird'])[1 + floor(4 * pg_temp.rnd($1, 24, i))::int],
         'segments', 1 + floor(3 * pg_temp.rnd($1, 25, i) ^ 3)::int,
         'sentiment', (ARRAY['positive','neutral','neutral','negative'])[1 + floor(4 * pg_temp.rnd($1, 26, i))::int],
         'campaign', CASE WHEN pg_temp.rnd($1, 27, i) < 0.08 THEN (ARRAY['spring_promo','renewal_2026','winback','black_friday'])[1 + floor(4 * pg_temp.rnd($1, 28, i))::int] END,
         -- a support ticket this message belongs to (rare): looked up by the ticket view
         'ticket_id', CASE WHEN pg_temp.rnd($1, 45, i) < 0.005 THEN 'T-' || (1 + floor(pg_temp.rnd($1, 46, i) * greatest(1, $5 / 3))::int) END)),
       ${historyTime(29)}
FROM (SELECT i, CASE WHEN pg_temp.rnd($1, 21, i) < 0.55 THEN 'inbound' ELSE 'outbound' END AS direction
      FROM ${ROW_IDS}) AS g`),
  generated("people", 5_000, "id, name, email, phone_contact_id, relationship_type, preferences, notes, created_at, updated_at", `
SELECT i, first || ' ' || last,
       CASE WHEN pg_temp.rnd($1, 52, i) < 0.7 THEN lower(first) || '.' || lower(last) || '.p' || i || '@' || ${pick(EMAIL_DOMAINS, 53)} END,
       CASE WHEN pg_temp.rnd($1, 54, i) < 0.5 THEN 1 + (i * 7919) % $5 END,
       (ARRAY['family','friend','colleague','client','client','vendor','acquaintance'])[1 + floor(7 * pg_temp.rnd($1, 55, i))::int],
       jsonb_build_object('channel', (ARRAY['sms','email','whatsapp','call'])[1 + floor(4 * pg_temp.rnd($1, 56, i))::int],
                          'language', (ARRAY['en','en','en','es','fr','de','ja'])[1 + floor(7 * pg_temp.rnd($1, 57, i))::int],
                          'newsletter', pg_temp.rnd($1, 58, i) < 0.3,
                          'quiet_hours', pg_temp.rnd($1, 59, i) < 0.2),
       CASE WHEN pg_temp.rnd($1, 60, i) < 0.4 THEN ${sentence(61, 8)} || ${maybeRare(72)} END,
       created_at, created_at + ($2::timestamptz - created_at) * pg_temp.rnd($1, 70, i)
FROM (SELECT i, ${pick(FIRST_NAMES, 50, 1.6)} AS first, ${pick(LAST_NAMES, 51, 1.6)} AS last,
             $2::timestamptz - interval '1095 days' * pg_temp.rnd($1, 71, i) AS created_at
      FROM ${ROW_IDS}) AS g`),
  generated("scheduled_tasks", 20_000, "id, contact_id, title, description, status, priority, due_at, completed_at, metadata, created_at, updated_at", `
SELECT i, CASE WHEN pg_temp.rnd($1, 80, i) < 0.9 THEN ${skewedContact(81)} END,
       initcap(${sentence(82, 6)}) || ${maybeRare(112)},
       CASE WHEN pg_temp.rnd($1, 90, i) < 0.5 THEN ${sentence(200, 12)} END,
       status, 1 + floor(5 * pg_temp.rnd($1, 105, i))::int,
       due_at,
       CASE WHEN status = 'completed' THEN least(due_at, $2::timestamptz) - interval '2 days' * pg_temp.rnd($1, 106, i) END,
       jsonb_strip_nulls(jsonb_build_object(
         'source', (ARRAY['manual','workflow','import'])[1 + floor(3 * pg_temp.rnd($1, 107, i))::int],
         'reminder', pg_temp.rnd($1, 108, i) < 0.4,
         'category', (ARRAY['follow_up','billing','support','sales','admin'])[1 + floor(5 * pg_temp.rnd($1, 109, i))::int],
         -- tasks a workflow created point back at it
         'workflow_id', CASE WHEN floor(3 * pg_temp.rnd($1, 107, i)) = 1 THEN 1 + floor(pg_temp.rnd($1, 111, i) * greatest(1, $5 / 50))::int END)),
       due_at - interval '30 days', greatest(due_at - interval '30 days', least(due_at, $2::timestamptz) - interval '1 day' * pg_temp.rnd($1, 110, i))
FROM (SELECT i,
             CASE WHEN r < 0.75 THEN 'completed' WHEN r < 0.85 THEN 'pending' WHEN r < 0.90 THEN 'in_progress' ELSE 'cancelled' END AS status,
             -- completed work is in the past; open tasks are due around now (a share of them overdue)
             CASE WHEN r < 0.75 THEN $2::timestamptz - interval '700 days' * pg_temp.rnd($1, 103, i) ^ 1.2
                  ELSE $2::timestamptz - interval '60 days' + interval '120 days' * pg_temp.rnd($1, 104, i) END AS due_at
      FROM (SELECT i, pg_temp.rnd($1, 102, i) AS r FROM ${ROW_IDS}) AS s) AS g`),
  generated("relationship_interactions", 50_000, "id, person_id, interaction_type, interaction_date, sentiment, notes, created_at", `
SELECT i, ${skewedPerson(120)},
       (ARRAY['call','message','message','meeting','email','note'])[1 + floor(6 * pg_temp.rnd($1, 121, i))::int],
       d, floor(5 * pg_temp.rnd($1, 122, i))::int - 2,
       CASE WHEN pg_temp.rnd($1, 123, i) < 0.6 THEN ${sentence(220, 10)} || ${maybeRare(135)} END,
       d
FROM (SELECT i, ${historyTime(125)} AS d FROM ${ROW_IDS}) AS g`),
  generated("workflow_triggers", 200, "id, name, trigger_type, is_active, conditions, actions, last_triggered_at, created_at, updated_at", `
SELECT i, ${pick(WORKFLOW_NAMES, 140)} || ' #' || i, trigger_type,
       pg_temp.rnd($1, 142, i) < 0.7,
       jsonb_build_object('event', trigger_type,
                          'channel', (ARRAY['sms','whatsapp','email'])[1 + floor(3 * pg_temp.rnd($1, 143, i))::int],
                          'keywords', jsonb_build_array(${pick(WORDS, 144, 1.5)}, ${pick(WORDS, 145, 1.5)}),
                          'business_hours_only', pg_temp.rnd($1, 146, i) < 0.5),
       jsonb_build_array(jsonb_build_object('type', (ARRAY['send_sms','create_task','notify','webhook'])[1 + floor(4 * pg_temp.rnd($1, 147, i))::int])),
       CASE WHEN pg_temp.rnd($1, 148, i) < 0.8 THEN $2::timestamptz - interval '60 days' * pg_temp.rnd($1, 149, i) END,
       created_at, created_at + ($2::timestamptz - created_at) * pg_temp.rnd($1, 150, i)
FROM (SELECT i, (ARRAY['message_received','call_missed','task_due','schedule','contact_created'])[1 + floor(5 * pg_temp.rnd($1, 141, i))::int] AS trigger_type,
             $2::timestamptz - interval '730 days' * pg_temp.rnd($1, 151, i) AS created_at
      FROM ${ROW_IDS}) AS g`),
  generated("call_costs", 50_000, "id, contact_id, call_sid, direction, billing_date, duration_seconds, cost, currency, created_at", `
SELECT i, ${skewedContact(160)}, 'CA' || md5($1::text || ':' || i::text),
       CASE WHEN pg_temp.rnd($1, 161, i) < 0.5 THEN 'inbound' ELSE 'outbound' END,
       (t AT TIME ZONE 'UTC')::date, duration, round(duration / 60.0 * 0.0085 + 0.004, 4), 'USD', t
FROM (SELECT i, ${historyTime(162)} AS t, floor(1800 * pg_temp.rnd($1, 163, i) ^ 3)::int AS duration
      FROM ${ROW_IDS}) AS g`),
  generated("calendar_events", 20_000, "id, title, description, location, start_time, end_time, contact_id, person_id, metadata, created_at, updated_at", `
SELECT i, ${pick(EVENT_TITLES, 170)} || ' ' || ${pick(LAST_NAMES, 171, 1.6)},
       CASE WHEN pg_temp.rnd($1, 172, i) < 0.4 THEN ${sentence(173, 10)} END,
       ${pick(LOCATIONS, 185)},
       s, s + interval '15 minutes' * (1 + floor(12 * pg_temp.rnd($1, 186, i) ^ 2)::int),
       CASE WHEN pg_temp.rnd($1, 187, i) < 0.6 THEN ${skewedContact(188)} END,
       CASE WHEN pg_temp.rnd($1, 189, i) < 0.3 THEN ${skewedPerson(190)} END,
       jsonb_strip_nulls(jsonb_build_object(
         'source', source,
         'reminder_minutes', (ARRAY[5,10,15,30,60])[1 + floor(5 * pg_temp.rnd($1, 192, i))::int],
         -- synced events carry the provider's id: calendar sync looks them up by it
         'external_id', CASE WHEN source <> 'manual' THEN left(source, 1) || '_' || left(md5($1::text || ':evt:' || i::text), 16) END)),
       least(s, $2::timestamptz) - interval '14 days', least(s, $2::timestamptz) - interval '1 day'
FROM (SELECT i, date_trunc('hour', $2::timestamptz - interval '365 days' + interval '545 days' * pg_temp.rnd($1, 193, i))
                 + interval '15 minutes' * floor(4 * pg_temp.rnd($1, 194, i)) AS s,
             (ARRAY['google','outlook','manual'])[1 + floor(3 * pg_temp.rnd($1, 191, i))::int] AS source
      FROM ${ROW_IDS}) AS g`),
];

/** Row count of a table at a scale (at least 1 row so every table has data). */
export function rowsAt(table: SeedTable, scale: number): number {
  return Math.max(1, Math.round(table.rowsPerScale * scale));
}

export function seedTable(name: string): SeedTable {
  const found = SEED_TABLES.find((t) => t.table === name);
  if (!found) throw new Error(`no seed table ${name}`);
  return found;
}

/**
 * A share of a column's rows forced to one value, to give a data set the
 * shape a production database may have and the default generator does not:
 * `null` makes a mostly-NULL column, a number concentrates rows on one key
 * (e.g. contact 1 holding 30 % of the messages: one big tenant).
 */
export interface ColumnShare {
  readonly table: string;
  readonly column: string;
  /** 0..1 of the rows. */
  readonly share: number;
  readonly value: null | number;
}

/** The columns an INSERT of the generator writes, in order. */
export function insertColumns(table: SeedTable): string[] {
  const m = /INSERT INTO \w+ \(([^)]*)\)/.exec(table.insertSql);
  return m ? m[1]!.split(",").map((c) => c.trim()) : [];
}

/**
 * The table's INSERT with the shares applied: the generator's SELECT becomes
 * a subquery and each shared column a CASE on a random stream of its own
 * (900 + position), so the rest of the row, and every other table, stays as
 * the same seed makes it.
 */
export function insertSqlWithShares(table: SeedTable, shares: readonly ColumnShare[]): string {
  const mine = shares.filter((s) => s.table === table.table);
  if (mine.length === 0) return table.insertSql;
  const columns = insertColumns(table);
  const split = /OVERRIDING SYSTEM VALUE\s*/.exec(table.insertSql);
  if (!split) throw new Error(`seed table ${table.table}: INSERT without OVERRIDING SYSTEM VALUE`);
  const head = table.insertSql.slice(0, split.index + split[0].length);
  const select = table.insertSql.slice(split.index + split[0].length);
  const exprs = columns.map((c, k) => {
    const s = mine.find((x) => x.column === c);
    if (!s) return `_row.${c}`;
    return `CASE WHEN pg_temp.rnd($1, ${900 + k}, _row.id) < ${Number(s.share)} THEN ${s.value === null ? "NULL" : Number(s.value)} ELSE _row.${c} END`;
  });
  return `${head}SELECT ${exprs.join(", ")}\nFROM (${select}) AS _row(${columns.join(", ")})`;
}
