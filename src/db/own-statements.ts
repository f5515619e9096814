// The mark the project's own commands put in the SQL they send on their own
// account (verify's parameter pickers and literal helper, advise's catalog
// pickers): pg_stat_statements keeps a trailing comment in its text but has no
// application_name, so advise recognises the project's statements by it and
// leaves them out of the app's workload (src/advise/statements.ts).
export const OWN_STATEMENT_MARK = "/* bollalabz-db */";

/** `text` with the mark appended (a trailing comment: pg_stat_statements keeps it). */
export function markOwn(text: string): string {
  return `${text}\n${OWN_STATEMENT_MARK}`;
}
