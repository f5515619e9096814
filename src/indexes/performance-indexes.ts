// The performance index set as data: each index with its category (the spec's
// A-F), its definition, and what it serves — verification catalog entries
// (src/catalog/entries.ts) or a foreign key the app joins or deletes through.
//
// The committed migrations (migrations/committed/000002+) were generated from
// this list, one CREATE INDEX CONCURRENTLY per migration; a test checks that
// the two agree. Rollback reads the names from the migration files themselves.
//
// Corrections to the spec, names kept:
// - *_pattern indexes are trigram GIN (gin_trgm_ops), which serve unanchored
//   ILIKE '%term%'; a text_pattern_ops btree only serves case-sensitive LIKE 'abc%'.
// - idx_scheduled_tasks_overdue cannot use now() (index predicates must be
//   immutable): it indexes due_at for open statuses; the query keeps due_at < now().
// - idx_calendar_events_start_end is a GiST index on tstzrange(start, end): an
//   overlap test on a btree (start_time, end_time) scans every earlier event.

import { existsSync, readFileSync } from "node:fs";
import { ADVISED_INDEXES_FILE } from "../base/project-paths.ts";
import { SEARCH_TABLES } from "../rollups/index.ts";

export type IndexCategory = "A" | "B" | "C" | "D" | "E" | "F";

export const CATEGORY_NAMES: Readonly<Record<IndexCategory, string>> = {
  A: "pattern / search (trigram GIN)",
  B: "composite / foreign key",
  C: "partial",
  D: "JSONB / array GIN",
  E: "time-series",
  F: "covering (INCLUDE, index-only scans)",
};

export interface PerformanceIndex {
  readonly name: string;
  readonly table: string;
  readonly category: IndexCategory;
  /** Everything after `ON table`: method, keys, INCLUDE, WHERE. */
  readonly definition: string;
  /** Catalog entry names, and/or "fk:<table>.<column>" for a foreign key access path. */
  readonly serves: readonly string[];
  /** Why it exists beyond what `serves` says (e.g. overlap with another index). */
  readonly note?: string;
  /** Committed by `npm run advise -- --write`: the workload statements it was proven on ("advise:<id>" in serves). */
  readonly advised?: { readonly at: string; readonly statements: readonly { readonly id: string; readonly query: string; readonly beforeMs: number | null; readonly afterMs: number | null }[] };
}

const DESIGNED_INDEXES: readonly PerformanceIndex[] = [
  // ---- phone_contacts ---------------------------------------------------------
  { name: "idx_phone_contacts_name_alpha", table: "phone_contacts", category: "C", definition: "(lower(contact_name), id) WHERE is_active", serves: ["contact_list_alphabetical"] },
  { name: "idx_phone_contacts_updated_at_desc", table: "phone_contacts", category: "E", definition: "(updated_at DESC)", serves: ["contacts_changed_since", "contact_search", "contact_list", "contact_list_archived"], note: "Incremental sync reads every contact changed since a time, active or not; a search for a common term walks it newest-first; the active and archived lists filter it (idx_phone_contacts_list_covering and idx_phone_contacts_active_updated were dropped: no faster at scale 10, and the planner flipped between the three)." },
  { name: "idx_phone_contacts_email_lower", table: "phone_contacts", category: "B", definition: "(lower(email))", serves: ["contact_by_email"] },
  { name: "idx_phone_contacts_tags", table: "phone_contacts", category: "D", definition: "USING gin (tags)", serves: ["contacts_by_tag"] },
  { name: "idx_phone_contacts_metadata", table: "phone_contacts", category: "D", definition: "USING gin (metadata jsonb_path_ops)", serves: ["contacts_vip"] },
  { name: "idx_phone_contacts_last_contacted", table: "phone_contacts", category: "C", definition: "(last_contacted_at DESC) WHERE is_active", serves: ["contacts_recently_contacted"] },
  { name: "idx_phone_contacts_company_name", table: "phone_contacts", category: "B", definition: "(company, contact_name)", serves: ["contacts_of_company"] },
  { name: "idx_phone_contacts_created_at", table: "phone_contacts", category: "E", definition: "(created_at DESC)", serves: ["contacts_new"] },

  // ---- conversation_messages --------------------------------------------------
  { name: "idx_conversation_messages_contact_created", table: "conversation_messages", category: "B", definition: "(contact_id, created_at DESC)", serves: ["message_history", "messages_unread_count_raw", "fk:conversation_messages.contact_id"] },
  { name: "idx_conversation_messages_inbound", table: "conversation_messages", category: "C", definition: "(created_at DESC) WHERE direction = 'inbound'", serves: ["inbox_recent_inbound"] },
  { name: "idx_conversation_messages_metadata", table: "conversation_messages", category: "D", definition: "USING gin (metadata jsonb_path_ops)", serves: ["messages_by_metadata"] },
  { name: "idx_conversation_messages_created_status", table: "conversation_messages", category: "F", definition: "(created_at) INCLUDE (direction, contact_id, status)", serves: ["daily_message_breakdown", "daily_message_breakdown_raw", "top_contacts_by_volume_raw", "message_content_search", "messages_by_status_24h", "messages_by_status_24h_raw"], note: "Replaced idx_conversation_messages_created_covering (same key, INCLUDE (direction, contact_id)): npm run advise found the status dashboard reading the heap for status; validated at scale 10, 89 -> 11 ms." },
  { name: "idx_conversation_messages_failed", table: "conversation_messages", category: "C", definition: "(created_at DESC) WHERE status = 'failed'", serves: ["messages_failed_recent"] },
  { name: "idx_conversation_messages_channel_created", table: "conversation_messages", category: "B", definition: "(channel, created_at DESC)", serves: ["messages_by_channel"] },
  { name: "idx_conversation_messages_campaign_created", table: "conversation_messages", category: "C", definition: "((metadata ->> 'campaign'), created_at DESC) WHERE metadata ? 'campaign'", serves: ["campaign_messages"], note: "Only the ~8% of messages sent by a campaign are indexed." },
  { name: "idx_conversation_messages_queued", table: "conversation_messages", category: "C", definition: "(created_at) WHERE status = 'queued'", serves: ["messages_send_queue"] },

  // ---- scheduled_tasks --------------------------------------------------------
  { name: "idx_scheduled_tasks_status_priority", table: "scheduled_tasks", category: "B", definition: "(status, priority, due_at)", serves: ["task_list", "tasks_due_in_range"], note: "PostgreSQL 18 may serve tasks_due_in_range with a skip scan of it (24 searches, 865 buffers at scale 10) instead of idx_scheduled_tasks_due_at, which 15-17 need." },
  { name: "idx_scheduled_tasks_pending", table: "scheduled_tasks", category: "C", definition: "(contact_id, due_at) WHERE status = 'pending'", serves: ["contact_pending_tasks"] },
  { name: "idx_scheduled_tasks_overdue", table: "scheduled_tasks", category: "C", definition: "(due_at) WHERE status IN ('pending', 'in_progress')", serves: ["overdue_tasks"] },
  { name: "idx_scheduled_tasks_metadata", table: "scheduled_tasks", category: "D", definition: "USING gin (metadata jsonb_path_ops)", serves: ["tasks_by_workflow"] },
  { name: "idx_scheduled_tasks_contact_due", table: "scheduled_tasks", category: "B", definition: "(contact_id, due_at DESC)", serves: ["contact_task_history", "fk:scheduled_tasks.contact_id"] },
  { name: "idx_scheduled_tasks_completed_at", table: "scheduled_tasks", category: "C", definition: "(completed_at DESC) WHERE status = 'completed'", serves: ["tasks_recently_completed"] },
  { name: "idx_scheduled_tasks_title_pattern", table: "scheduled_tasks", category: "A", definition: "USING gin (title gin_trgm_ops)", serves: ["task_search"] },
  { name: "idx_scheduled_tasks_due_at", table: "scheduled_tasks", category: "E", definition: "(due_at)", serves: ["tasks_due_in_range"] },
  { name: "idx_scheduled_tasks_updated_at", table: "scheduled_tasks", category: "E", definition: "(updated_at DESC)", serves: ["tasks_changed_since"] },
  { name: "idx_scheduled_tasks_in_progress", table: "scheduled_tasks", category: "C", definition: "(updated_at DESC) WHERE status = 'in_progress'", serves: ["tasks_in_progress"] },

  // ---- people -----------------------------------------------------------------
  { name: "idx_people_name_pattern", table: "people", category: "A", definition: "USING gin (name gin_trgm_ops)", serves: ["people_search"] },
  { name: "idx_people_preferences", table: "people", category: "D", definition: "USING gin (preferences jsonb_path_ops)", serves: ["people_by_preferences"] },
  { name: "idx_people_phone_contact_id", table: "people", category: "B", definition: "(phone_contact_id)", serves: ["people_of_contact", "fk:people.phone_contact_id"] },
  { name: "idx_people_email_lower", table: "people", category: "B", definition: "(lower(email))", serves: ["person_by_email"] },
  { name: "idx_people_relationship_updated", table: "people", category: "B", definition: "(relationship_type, updated_at DESC)", serves: ["people_by_relationship"] },
  { name: "idx_people_notes_pattern", table: "people", category: "A", definition: "USING gin (notes gin_trgm_ops)", serves: ["people_notes_search"] },
  { name: "idx_people_created_at", table: "people", category: "E", definition: "(created_at DESC)", serves: ["people_new"] },

  // ---- relationship_interactions ----------------------------------------------
  { name: "idx_relationship_interactions_person_date", table: "relationship_interactions", category: "B", definition: "(person_id, interaction_date DESC)", serves: ["person_interactions", "fk:relationship_interactions.person_id"] },
  { name: "idx_relationship_interactions_date", table: "relationship_interactions", category: "E", definition: "(interaction_date DESC)", serves: ["interactions_recent"] },
  { name: "idx_relationship_interactions_type_date", table: "relationship_interactions", category: "B", definition: "(interaction_type, interaction_date DESC)", serves: ["interactions_by_type"] },
  { name: "idx_relationship_interactions_notes_pattern", table: "relationship_interactions", category: "A", definition: "USING gin (notes gin_trgm_ops)", serves: ["interaction_notes_search"] },
  { name: "idx_relationship_interactions_negative", table: "relationship_interactions", category: "C", definition: "(interaction_date DESC) WHERE sentiment < 0", serves: ["interactions_negative_recent"] },

  // ---- workflow_triggers ------------------------------------------------------
  { name: "idx_workflow_triggers_active_updated", table: "workflow_triggers", category: "C", definition: "(updated_at DESC) WHERE is_active", serves: ["workflows_active_list"] },
  { name: "idx_workflow_triggers_conditions", table: "workflow_triggers", category: "D", definition: "USING gin (conditions jsonb_path_ops)", serves: ["workflows_matching_keyword"] },
  { name: "idx_workflow_triggers_type_active", table: "workflow_triggers", category: "C", definition: "(trigger_type) WHERE is_active", serves: ["workflows_for_event"] },
  { name: "idx_workflow_triggers_actions", table: "workflow_triggers", category: "D", definition: "USING gin (actions jsonb_path_ops)", serves: ["workflows_with_action"] },
  { name: "idx_workflow_triggers_last_triggered", table: "workflow_triggers", category: "C", definition: "(last_triggered_at DESC) WHERE is_active AND last_triggered_at IS NOT NULL", serves: ["workflows_recently_fired"] },

  // ---- call_costs -------------------------------------------------------------
  { name: "idx_call_costs_billing_date_desc", table: "call_costs", category: "E", definition: "(billing_date DESC) INCLUDE (cost, duration_seconds)", serves: ["call_cost_daily_raw", "calls_long_recent"], note: "Also serves the long-calls list since idx_call_costs_long_calls was dropped (measured: 0.11 -> 0.24 ms without it, scale 10)." },
  { name: "idx_call_costs_contact_date_cost", table: "call_costs", category: "B", definition: "(contact_id, billing_date DESC) INCLUDE (cost)", serves: ["contact_call_costs", "contact_call_cost_month", "fk:call_costs.contact_id"], note: "Replaced idx_call_costs_contact_date (same key): a contact's cost this month read the heap for cost; validated at scale 10, 1.54 -> 0.17 ms." },
  { name: "idx_call_costs_direction_date", table: "call_costs", category: "F", definition: "(direction, billing_date DESC) INCLUDE (cost)", serves: ["call_cost_by_direction_raw"] },
  { name: "idx_call_costs_created_at", table: "call_costs", category: "E", definition: "(created_at DESC)", serves: ["calls_recent"] },

  // ---- calendar_events --------------------------------------------------------
  { name: "idx_calendar_events_start_end", table: "calendar_events", category: "E", definition: "USING gist (tstzrange(start_time, end_time))", serves: ["calendar_range"] },
  { name: "idx_calendar_events_contact_start", table: "calendar_events", category: "B", definition: "(contact_id, start_time DESC)", serves: ["contact_events", "fk:calendar_events.contact_id"] },
  { name: "idx_calendar_events_person_start", table: "calendar_events", category: "B", definition: "(person_id, start_time DESC)", serves: ["person_events", "fk:calendar_events.person_id"] },
  { name: "idx_calendar_events_start_time", table: "calendar_events", category: "E", definition: "(start_time)", serves: ["calendar_upcoming"] },
  { name: "idx_calendar_events_title_pattern", table: "calendar_events", category: "A", definition: "USING gin (title gin_trgm_ops)", serves: ["calendar_search"] },
  { name: "idx_calendar_events_metadata", table: "calendar_events", category: "D", definition: "USING gin (metadata jsonb_path_ops)", serves: ["calendar_by_external_id"] },

  // ---- the search side tables (migrations 000083-000087 create and fill them) ----
  // The searched text of conversation_messages and phone_contacts, copied in
  // batches after the fact (src/rollups/search-tables.ts), so the trigram
  // entries stay out of the app's writes; they replace the spec's *_pattern
  // indexes on the base tables (dropped by 000088-000091).
  { name: "idx_message_search_content_pattern", table: "message_search", category: "A", definition: "USING gin (content gin_trgm_ops)", serves: ["message_content_search"], note: "Replaces idx_conversation_messages_content_pattern: the search reads it up to the watermark, the newer messages by primary key." },
  { name: "idx_contact_search_pattern", table: "contact_search", category: "A", definition: "USING gin (contact_name gin_trgm_ops, email gin_trgm_ops, phone_number gin_trgm_ops)", serves: ["contact_search", "contact_search_rare", "contact_phone_search"], note: "Replaces idx_phone_contacts_name_pattern, _email_pattern and _phone_pattern: one multicolumn GIN index serves a condition on any of its columns as well as three single-column ones." },

  // ---- conversations (the inbox; migrations 000063-000064 create and fill it) ----
  { name: "idx_conversations_last_message", table: "conversations", category: "F", definition: "(last_message_at DESC) INCLUDE (contact_id, last_message_id)", serves: ["inbox"], note: "The 50 most recently active conversations are the first 50 entries, read index-only." },
];

/** Indexes `npm run advise -- --write` added (src/indexes/advised-indexes.json, written by src/advise/write.ts). */
export function readAdvisedIndexes(file = ADVISED_INDEXES_FILE): PerformanceIndex[] {
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, "utf8")) as PerformanceIndex[];
}

/** The whole set: designed here, then advised. */
export const PERFORMANCE_INDEXES: readonly PerformanceIndex[] = [...DESIGNED_INDEXES, ...readAdvisedIndexes()];

/** The statement a migration runs for one index. */
export function createIndexStatement(index: PerformanceIndex): string {
  return `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${index.name} ON ${index.table} ${index.definition};`;
}

/**
 * Spec-named indexes a later migration dropped because measurements showed
 * they do not pay (a test checks each is built by one migration and dropped
 * by a later one); every other spec name must exist.
 */
export const SPEC_INDEXES_DROPPED: Readonly<Record<string, string>> = {
  idx_phone_contacts_list_covering: "migration 000081: idx_phone_contacts_updated_at_desc serves contact_list as fast at scale 10, and the planner flipped between three recency indexes",
  idx_phone_contacts_active_updated: "migration 000082: idx_phone_contacts_updated_at_desc serves the archived list; PostgreSQL 18 skip-scanned it for contacts_changed_since",
  idx_conversation_messages_content_pattern: "migration 000088: the search reads idx_message_search_content_pattern on the side table message_search (filled after the fact), so a message insert writes no trigram entry",
  idx_phone_contacts_name_pattern: "migration 000089: the search reads idx_contact_search_pattern on the side table contact_search (filled after the fact)",
  idx_phone_contacts_email_pattern: "migration 000090: the search reads idx_contact_search_pattern on the side table contact_search (filled after the fact)",
};

/** The names the spec lists; every one must exist unless SPEC_INDEXES_DROPPED says why not (test). */
export const SPEC_INDEX_NAMES = [
  "idx_phone_contacts_name_pattern", "idx_phone_contacts_email_pattern", "idx_conversation_messages_content_pattern",
  "idx_people_name_pattern", "idx_phone_contacts_active_updated", "idx_conversation_messages_contact_created",
  "idx_scheduled_tasks_status_priority", "idx_relationship_interactions_person_date", "idx_scheduled_tasks_pending",
  "idx_scheduled_tasks_overdue", "idx_conversation_messages_inbound", "idx_workflow_triggers_active_updated",
  "idx_conversation_messages_metadata", "idx_scheduled_tasks_metadata", "idx_workflow_triggers_conditions",
  "idx_people_preferences", "idx_call_costs_billing_date_desc", "idx_calendar_events_start_end",
  "idx_relationship_interactions_date", "idx_phone_contacts_list_covering", "idx_phone_contacts_updated_at_desc",
] as const;

/**
 * Per-column statistics target for the columns the trigram indexes search.
 * PostgreSQL estimates `ILIKE '%term%'` from the column's histogram; with the
 * default 100 entries, PostgreSQL 15 estimates a rare term at ~1% of the rows
 * and walks the recency index instead of the trigram index (130 ms instead of
 * 0.3 ms at scale 1). 1000 entries give it the right estimate. The cost is a
 * longer ANALYZE of those tables (it samples 300,000 rows).
 */
export const SEARCH_STATISTICS_TARGET = 1000;

/** The searched columns of each trigram index (one or several per index): [table, column]. */
export function trigramSearchColumns(): [string, string][] {
  const columns = new Map<string, [string, string]>();
  for (const ix of PERFORMANCE_INDEXES) {
    if (!/^USING gin \(.*gin_trgm_ops\)$/.test(ix.definition)) continue;
    for (const m of ix.definition.matchAll(/(\w+) gin_trgm_ops/g)) columns.set(`${ix.table}.${m[1]}`, [ix.table, m[1]!]);
  }
  // The base columns the side tables copy: a search still filters them (the
  // re-check, a common term's walk of the newest rows), so their estimates matter too.
  for (const t of SEARCH_TABLES) for (const c of t.columns) columns.set(`${t.source}.${c}`, [t.source, c]);
  return [...columns.values()];
}

/** ALTER TABLE ... SET STATISTICS for those columns (a SHARE UPDATE EXCLUSIVE lock: reads and writes go on). */
export function searchStatisticsStatements(tables?: readonly string[]): string[] {
  return trigramSearchColumns()
    .filter(([table]) => !tables || tables.includes(table))
    .map(([table, column]) => `ALTER TABLE ${table} ALTER COLUMN ${column} SET STATISTICS ${SEARCH_STATISTICS_TARGET};`);
}

/**
 * Extended statistics the planner needs where a column's own statistics
 * cannot describe what a query filters on. campaign_messages filters on
 * `metadata ->> 'campaign' = $1` (with `metadata ? 'campaign'` for the
 * partial index): the planner uses expression statistics of NON-partial
 * indexes only, so without a statistics object it guessed 79 rows for a
 * campaign of 3,956 and, on a server with default settings (random_page_cost
 * 4), read the whole campaign through a Bitmap Heap Scan and sorted it:
 * 2,923 buffers and 2.5-85 ms per page instead of an ordered Index Scan of
 * 102 buffers and 0.2 ms (Debian PostgreSQL 15, scale 1; docs/design-decisions.md,
 * Plan stability). Created by the afterAllMigrations hook and `npm run
 * migrate` before their ANALYZE.
 */
export const PLANNER_STATISTICS: readonly { readonly name: string; readonly table: string; readonly on: string; readonly serves: readonly string[] }[] = [
  { name: "stat_conversation_messages_campaign", table: "conversation_messages", on: "(metadata ->> 'campaign')", serves: ["campaign_messages"] },
];

/** CREATE STATISTICS IF NOT EXISTS for PLANNER_STATISTICS (a SHARE UPDATE EXCLUSIVE lock: reads and writes go on). */
export function plannerStatisticsStatements(tables?: readonly string[]): string[] {
  return PLANNER_STATISTICS.filter((st) => !tables || tables.includes(st.table)).map((st) => `CREATE STATISTICS IF NOT EXISTS ${st.name} ON ${st.on} FROM ${st.table};`);
}
