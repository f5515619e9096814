// Reading EXPLAIN VERBOSE expression text: splitting a condition into its
// top-level AND terms and finding the columns an expression refers to.
// EXPLAIN prints conditions fully parenthesized with qualified columns
// (alias.column), constants as 'value'::type: that regular shape is what
// makes this small parser enough.

/** Remove parentheses that wrap the whole expression. */
export function stripOuterParens(expr: string): string {
  let s = expr.trim();
  while (s.startsWith("(") && matchingParen(s, 0) === s.length - 1) s = s.slice(1, -1).trim();
  return s;
}

function matchingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "'") {
      i = skipQuoted(s, i, "'");
      continue;
    }
    if (ch === '"') {
      i = skipQuoted(s, i, '"');
      continue;
    }
    if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  return -1;
}

function skipQuoted(s: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < s.length) {
    if (s[i] === quote) {
      if (s[i + 1] === quote) i += 2;
      else return i;
    } else i++;
  }
  return s.length;
}

/** Split at a top-level keyword (" AND " / " OR "), outside parentheses and quotes. */
export function splitTopLevel(expr: string, keyword: "AND" | "OR"): string[] {
  const s = stripOuterParens(expr);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  const token = ` ${keyword} `;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "'" || ch === '"') {
      i = skipQuoted(s, i, ch);
      continue;
    }
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (depth === 0 && s.startsWith(token, i)) {
      parts.push(s.slice(start, i));
      start = i + token.length;
      i += token.length - 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map(stripOuterParens).filter((p) => p.length > 0);
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Columns of `alias` an expression refers to (alias.column or alias."Column"). */
export function columnsOf(expr: string, alias: string): string[] {
  const out = new Set<string>();
  const re = new RegExp(String.raw`(?:^|[^\w."])"?${escapeRegExp(alias)}"?\.(?:"([^"]+)"|(\w+))`, "g");
  const text = expr.replace(/'(?:[^']|'')*'/g, "''");
  for (const m of text.matchAll(re)) out.add(m[1] ?? m[2]!.toLowerCase());
  return [...out];
}

/** Does the expression refer to any column of an alias other than this one? */
export function refersToOtherAlias(expr: string, alias: string): boolean {
  const text = expr.replace(/'(?:[^']|'')*'/g, "''");
  for (const m of text.matchAll(/(?:^|[^\w."])"?(\w+)"?\.(?:"[^"]+"|\w+)/g)) {
    if (m[1] !== alias) return true;
  }
  return false;
}

/** The right-hand side refers to a parameter ($n) rather than a constant. */
export function isParameter(expr: string): boolean {
  return /\$\d+/.test(expr);
}

/**
 * Columns of a table an expression refers to: qualified (alias.column), or
 * bare names of its columns (EXPLAIN VERBOSE leaves Output unqualified when
 * the query reads one table).
 */
export function columnsIn(expr: string, alias: string, columns: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  const out = new Set(columnsOf(expr, alias));
  const text = expr.replace(/'(?:[^']|'')*'/g, "''");
  for (const m of text.matchAll(/(^|[^\w."])(\w+)(?![\w."(])/g)) {
    const name = m[2]!.toLowerCase();
    if (columns.has(name)) out.add(name);
  }
  return [...out];
}

/**
 * The columns of a table a statement needs, read from its text (its alias's
 * qualified columns and bare names of its columns; `*` means all of them).
 * Not from the plan: a scan's Output is often the whole row (PostgreSQL
 * returns the physical tuple when the node above accepts it).
 */
export function neededColumns(statementText: string, alias: string, columns: ReadonlyMap<string, unknown>): string[] {
  if (/\bSELECT\s+(\w+\.)?\*/i.test(statementText)) return [...columns.keys()];
  return columnsIn(statementText, alias, columns);
}
