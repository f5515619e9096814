// Catalog entries the tests measure, written once: a builder with the fields
// a test entry rarely varies defaulted, and the base schema's lookup of a
// contact by phone number that several catalogs share.
import type { CatalogEntry } from "../../src/catalog/types.ts";

/** A list query expecting no index, within 10 ms: `fields` overrides any of that (title, kind, budgets, seqScanOk, reason...). */
export function testEntry(name: string, sql: string, params: Readonly<Record<string, string>>, fields: Partial<CatalogEntry> = {}): CatalogEntry {
  return { name, title: name, kind: "list", sql, params, expectIndexes: [], budgetMs: 10, reason: "test", ...fields };
}

/** Resolve an inbound number: the base schema's idx_phone_contacts_phone_number serves it. */
export const CONTACT_BY_PHONE: CatalogEntry = testEntry(
  "contact_by_phone",
  "SELECT id, contact_name FROM phone_contacts WHERE phone_number = $1",
  { existing: "SELECT phone_number FROM phone_contacts ORDER BY id LIMIT 1" },
  { title: "Resolve an inbound number", kind: "point", expectIndexes: ["idx_phone_contacts_phone_number"], budgetMs: 500, reason: "an inbound call or message names its contact" },
);
