// Identifiers that cannot travel as parameters (DDL: index and table names).
// Only for names the project owns or read from the catalog, never for input
// to be trusted as SQL.

/** Double-quote an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PostgreSQL array literal of values in text form (`{"a","b\\"c",NULL}`): what a text[] parameter takes. */
export function arrayLiteral(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? "NULL" : `"${v.replace(/["\\]/g, (m) => `\\${m}`)}"`)).join(",")}}`;
}
