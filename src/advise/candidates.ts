// Candidate indexes from the problems of each statement: a btree with the
// equality columns first, then one range column, then the sort order; a
// partial index for constant predicates (booleans, IS NULL, literal status
// values); expression indexes for lower(col) and (col ->> 'key'); trigram
// GIN for LIKE/ILIKE '%...%'; jsonb GIN for @> / ?; INCLUDE for the few narrow
// columns that make the scan index-only. A candidate an existing index
// already serves (its leading columns, the same predicate or none, the
// INCLUDEd columns) is dropped, so a served workload gets no suggestion.
import type { PlanNode } from "../catalog/explain.ts";
import { columnsOf, escapeRegExp, neededColumns, refersToOtherAlias, splitTopLevel, stripOuterParens } from "./expressions.ts";
import { nodesWithAncestors, type StatementPlan } from "./plans.ts";
import { MAX_INCLUDE_COLUMNS, MAX_INCLUDE_WIDTH, type Problem } from "./problems.ts";
import type { ExistingIndex, SchemaInfo, TableInfo } from "./schema.ts";

/** A constant equality on a column with at most this many distinct values becomes a partial-index predicate. */
export const PARTIAL_MAX_DISTINCT = 20;

export type CandidateKind = "btree" | "partial" | "expression" | "trigram" | "jsonb" | "array" | "covering";

export interface Candidate {
  readonly table: string;
  readonly kind: CandidateKind;
  /** Everything after `ON table` (same form as src/indexes/performance-indexes.ts). */
  readonly definition: string;
  /** A name in the project's style (idx_<table>_<what>), within 63 bytes. */
  readonly name: string;
  /** Statement ids it should help. */
  readonly statements: readonly string[];
  /** Why, in words. */
  readonly reason: string;
  /** An existing index this one makes unnecessary (a widened covering index). */
  readonly replaces?: string;
  /** e.g. a trigram index needs pg_trgm. */
  readonly requires?: string;
}

interface Terms {
  eq: string[];
  range: string[];
  predicates: string[];
  trigram: string[];
  jsonbPath: string[];
  jsonbOps: string[];
  arrays: string[];
  expressions: string[];
  /** Keyset pagination: `(a, id) > ($1, $2)` compares these columns in this order. */
  rowCompare: string[];
  other: string[];
}

const emptyTerms = (): Terms => ({ eq: [], range: [], predicates: [], trigram: [], jsonbPath: [], jsonbOps: [], arrays: [], expressions: [], rowCompare: [], other: [] });

/** Functions whose value depends only on their arguments (IMMUTABLE for the argument types apps use): an expression index can store them. */
const INDEXABLE_FUNCTIONS = /^(lower|upper|btrim|trim|ltrim|rtrim|reverse|left|right|substr|substring|md5|abs|coalesce|date_trunc|date_part|extract|length|char_length|split_part|regexp_replace|replace|unaccent)$/i;

function q(column: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(column) ? column : `"${column.replace(/"/g, '""')}"`;
}

/** Is this comparison a literal in the statement's own text (the app sends a constant), not a parameter? */
function literalInText(statementText: string, column: string): boolean {
  const c = escapeRegExp(column);
  return new RegExp(String.raw`\b${c}\s*(=|IN\s*\()\s*\(?\s*('|\d|true|false)`, "i").test(statementText) || new RegExp(String.raw`\b${c}\s*=\s*ANY\s*\(\s*'`, "i").test(statementText);
}

function lowCardinality(table: TableInfo, column: string): boolean {
  const nd = table.columns.get(column)?.nDistinct;
  if (nd === null || nd === undefined) return false;
  return nd > 0 ? nd <= PARTIAL_MAX_DISTINCT : -nd * table.rows <= PARTIAL_MAX_DISTINCT;
}

/** Classify the AND terms of a scan's conditions. */
export function classifyConditions(conditions: readonly string[], alias: string, table: TableInfo, statementText: string): Terms {
  const t = emptyTerms();
  const a = escapeRegExp(alias);
  const col = String.raw`"?${a}"?\.(?:"([^"]+)"|(\w+))`;
  const name = (m: RegExpExecArray, i = 1) => m[i] ?? m[i + 1]!.toLowerCase();
  const isType = (c: string, re: RegExp) => re.test(table.columns.get(c)?.type ?? "");
  for (const condition of conditions) {
    for (const term of splitTopLevel(condition, "AND")) {
      let m: RegExpExecArray | null;
      const ors = splitTopLevel(term, "OR");
      if (ors.length > 1) {
        const likeCols = ors.map((o) => new RegExp(String.raw`^${col}\s+!?~~\*?\s+(.+)$`).exec(stripOuterParens(o)));
        if (likeCols.every((x) => x)) for (const x of likeCols) t.trigram.push(name(x!));
        else t.other.push(term);
        continue;
      }
      if ((m = new RegExp(String.raw`^${col}$`).exec(term))) t.predicates.push(q(name(m)));
      else if ((m = new RegExp(String.raw`^NOT ${col}$`).exec(term))) t.predicates.push(`NOT ${q(name(m))}`);
      else if ((m = new RegExp(String.raw`^${col} IS (NOT )?NULL$`).exec(term))) t.predicates.push(`${q(name(m))} IS ${m[3] ?? ""}NULL`);
      else if ((m = new RegExp(String.raw`^${col} (=|<|>|<=|>=) (.+)$`).exec(term)) && !new RegExp(String.raw`"?${a}"?\.`).test(m[4]!)) {
        const c = name(m);
        if (m[3] === "=") {
          if (literalInText(statementText, c) && lowCardinality(table, c) && !/\$\d/.test(m[4]!)) t.predicates.push(`${q(c)} = ${m[4]}`);
          else t.eq.push(q(c));
        } else t.range.push(q(c));
      } else if ((m = new RegExp(String.raw`^${col} = ANY \((.+)\)$`).exec(term))) {
        const c = name(m);
        if (literalInText(statementText, c) && lowCardinality(table, c) && !/\$\d/.test(m[3]!)) t.predicates.push(`${q(c)} = ANY (${m[3]})`);
        else t.eq.push(q(c));
      } else if ((m = new RegExp(String.raw`^${col} !?~~\*? (.+)$`).exec(term))) t.trigram.push(name(m));
      else if ((m = new RegExp(String.raw`^lower\(${col}\) (=|<|>|<=|>=) (.+)$`).exec(term))) (m[3] === "=" ? t.eq : t.range).push(`lower(${q(name(m))})`);
      else if ((m = new RegExp(String.raw`^ROW\((${col}(?:, ${col})*)\) (<|>|<=|>=) ROW\((.+)\)$`).exec(term))) {
        t.rowCompare.push(...m[1]!.split(", ").map((c) => q(new RegExp(String.raw`^${col}$`).exec(c)!.slice(1).find(Boolean)!.toLowerCase())));
      } else if ((m = /^(\w+)\((.*)\) (=|<|>|<=|>=|~~|!~~) (.+)$/.exec(term)) && INDEXABLE_FUNCTIONS.test(m[1]!) && columnsOf(m[2]!, alias).length > 0 && !refersToOtherAlias(`${m[1]}(${m[2]})`, alias) && !/\$\d/.test(m[2]!)) {
        // A function of this table's columns (date_trunc('day', created_at), reverse(email), ...): an expression index key.
        const expr = `${m[1]}(${m[2]!.replace(new RegExp(String.raw`"?${a}"?\.`, "g"), "")})`;
        (m[3] === "=" ? t.eq : t.range).push(expr);
      }
      else if ((m = new RegExp(String.raw`^\(${col} ->> ('(?:[^']|'')*')(?:::text)?\) (=|<|>|<=|>=) (.+)$`).exec(term))) (m[4] === "=" ? t.eq : t.range).push(`(${q(name(m))} ->> ${m[3]})`);
      else if ((m = new RegExp(String.raw`^${col} @> (.+)$`).exec(term))) (isType(name(m), /\[\]$/) ? t.arrays : t.jsonbPath).push(name(m));
      else if ((m = new RegExp(String.raw`^${col} (\?|\?\||\?&) (.+)$`).exec(term))) t.jsonbOps.push(name(m));
      else if ((m = new RegExp(String.raw`^${col} && (.+)$`).exec(term)) && isType(name(m), /\[\]$/)) t.arrays.push(name(m));
      else if ((m = /^\((.+)\) (=|<|>|<=|>=) (.+)$/.exec(term)) && /^[\w."\s+\-*/%]+$/.test(m[1]!) && columnsOf(m[1]!, alias).length > 0 && !refersToOtherAlias(m[1]!, alias) && !columnsOf(m[3]!, alias).length) {
        // Arithmetic on this table's columns ((duration_seconds / 60) = $1): an expression index key.
        (m[2] === "=" ? t.eq : t.range).push(`(${m[1]!.replace(new RegExp(String.raw`"?${a}"?\.`, "g"), "")})`);
      } else t.other.push(term);
    }
  }
  return t;
}

function conditionsOf(node: PlanNode): string[] {
  return ["Filter", "Index Cond", "Recheck Cond", "Join Filter"].map((k) => node[k]).filter((v): v is string => typeof v === "string");
}

/** Sort keys of this alias as index key text ("created_at DESC"); null if any key is not a plain column of it. */
function sortColumns(keys: readonly string[], alias: string): string[] | null {
  const out: string[] = [];
  const re = new RegExp(String.raw`^"?${escapeRegExp(alias)}"?\.(?:"([^"]+)"|(\w+))( DESC)?( NULLS (?:FIRST|LAST))?$`);
  for (const k of keys) {
    const m = re.exec(k.trim());
    if (!m) return null;
    out.push(`${q(m[1] ?? m[2]!.toLowerCase())}${m[3] ?? ""}${m[4] ?? ""}`);
  }
  return out;
}

function indexName(table: string, parts: readonly string[]): string {
  const what = parts.join("_").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "") || "advised";
  let n = `idx_${table}_${what}`;
  while (Buffer.byteLength(n) > 63) n = n.slice(0, -1);
  return n.replace(/_$/, "");
}

/** Candidates for one statement's problems. */
export function candidatesForProblems(plan: StatementPlan, problems: readonly Problem[], schema: SchemaInfo): Candidate[] {
  const out: Candidate[] = [];
  const id = plan.statement.id;
  for (const p of problems) {
    if (!p.table || !p.node) continue;
    const table = schema.get(p.table);
    if (!table) continue;
    const alias = (p.node.Alias as string | undefined) ?? p.table;
    // A per-key aggregate (WHERE key = $1 GROUP BY col) is better served by (key, col) than by widening the index it
    // used: groups come in index order and the narrow keys deduplicate (the Dexter side by side: 228 against 20,574
    // buffers for one heavy contact's channel counts). The btree path below builds that candidate.
    if (p.kind === "heap-fetches" && p.index && p.missingColumns && !findGroupAbove(plan, p.node, alias)) {
      const existing = table.indexes.find((i) => i.name === p.index);
      if (!existing) continue;
      const keys = existing.keys;
      const include = [...existing.include, ...p.missingColumns.map(q)];
      const definition = `(${keys.join(", ")}) INCLUDE (${include.join(", ")})${existing.predicate ? ` WHERE ${existing.predicate}` : ""}`;
      // Named as --write will create it (beside the index it widens, which stays until dropped).
      out.push({ table: p.table, kind: "covering", definition, name: widenedName(existing.name), statements: [id], reason: p.detail, replaces: existing.name });
      continue;
    }
    const terms = classifyConditions(conditionsOf(p.node), alias, table, plan.statement.query);
    const sort = p.kind === "large-sort" && p.sortKeys ? sortColumns(p.sortKeys, alias) : findSortAbove(plan, p.node, alias);
    for (const c of new Set(terms.trigram)) out.push({ table: p.table, kind: "trigram", definition: `USING gin (${q(c)} gin_trgm_ops)`, name: indexName(p.table, [c, "trgm"]), statements: [id], reason: `${p.detail}; LIKE/ILIKE '%…%' needs a trigram GIN index`, requires: "pg_trgm" });
    for (const c of new Set(terms.jsonbPath)) if (!terms.jsonbOps.includes(c)) out.push({ table: p.table, kind: "jsonb", definition: `USING gin (${q(c)} jsonb_path_ops)`, name: indexName(p.table, [c, "path"]), statements: [id], reason: `${p.detail}; @> containment is served by a jsonb_path_ops GIN index` });
    for (const c of new Set(terms.jsonbOps)) out.push({ table: p.table, kind: "jsonb", definition: `USING gin (${q(c)})`, name: indexName(p.table, [c, "gin"]), statements: [id], reason: `${p.detail}; the ? key operators need the default jsonb_ops GIN index` });
    for (const c of new Set(terms.arrays)) out.push({ table: p.table, kind: "array", definition: `USING gin (${q(c)})`, name: indexName(p.table, [c, "gin"]), statements: [id], reason: `${p.detail}; array containment/overlap is served by a GIN index` });
    const group = sort ? null : findGroupAbove(plan, p.node, alias);
    const btree = btreeCandidate(p, table, alias, terms, sort ?? group, plan.statement.query);
    if (btree) out.push({ ...btree, statements: [id] });
  }
  return out;
}

/** A Sort right above this scan (through Limit / Incremental Sort / Gather Merge). */
function findSortAbove(plan: StatementPlan, scan: PlanNode, alias: string): string[] | null {
  const root = plan.timing?.plan.Plan;
  if (!root) return null;
  const path: PlanNode[] = [];
  const search = (n: PlanNode): boolean => {
    if (n === scan) return true;
    for (const c of n.Plans ?? []) {
      path.push(n);
      if (search(c)) return true;
      path.pop();
    }
    return false;
  };
  if (!search(root)) return null;
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i]!;
    if (n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort") return sortColumns((n["Sort Key"] as string[] | undefined) ?? [], alias);
    if (!["Limit", "Gather Merge", "Gather", "Materialize"].includes(n["Node Type"])) return null;
  }
  return null;
}

/**
 * Per-key aggregates (`WHERE contact_id = $1 GROUP BY status`): the group
 * columns of an aggregate right above this scan, as keys after the equality
 * columns, make the count an index-only read in group order.
 */
function findGroupAbove(plan: StatementPlan, scan: PlanNode, alias: string): string[] | null {
  const root = plan.timing?.plan.Plan;
  if (!root) return null;
  for (const { node, ancestors } of nodesWithAncestors(root)) {
    if (node !== scan) continue;
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const n = ancestors[i]!;
      if (/Aggregate/.test(n["Node Type"]) && Array.isArray(n["Group Key"])) return sortColumns(n["Group Key"] as string[], alias);
      if (!["Sort", "Gather", "Gather Merge", "Materialize", "Incremental Sort"].includes(n["Node Type"])) return null;
    }
  }
  return null;
}

function btreeCandidate(p: Problem, table: TableInfo, alias: string, terms: Terms, sort: string[] | null, statementText: string): Omit<Candidate, "statements"> | null {
  const keys: string[] = [];
  for (const e of terms.eq) if (!keys.includes(e)) keys.push(e);
  const range = terms.range.find((r) => !keys.includes(r));
  const sortKeys = (sort ?? []).filter((s) => !keys.includes(s.replace(/ DESC| NULLS (FIRST|LAST)/g, "")));
  if (range) {
    // Range and sort on the same column: one key, in the sort's direction.
    const sameAsSort = sortKeys.find((s) => s.replace(/ DESC| NULLS (FIRST|LAST)/g, "") === range);
    keys.push(sameAsSort ?? range);
    for (const s of sortKeys) if (s !== sameAsSort) keys.push(s);
  } else if (terms.rowCompare.length > 0) {
    // Keyset pagination: the row comparison's columns in the ORDER BY's directions (and NULLS placement).
    const ordered = terms.rowCompare.map((c) => sortKeys.find((s) => s.replace(/ DESC| NULLS (FIRST|LAST)/g, "") === c) ?? c);
    for (const k of ordered) if (!keys.includes(k)) keys.push(k);
    for (const s of sortKeys) if (!keys.some((k) => k.replace(/ DESC| NULLS (FIRST|LAST)/g, "") === s.replace(/ DESC| NULLS (FIRST|LAST)/g, ""))) keys.push(s);
  } else keys.push(...sortKeys);
  if (keys.length === 0) return null;
  const predicates = [...new Set(terms.predicates)];
  // INCLUDE the few narrow columns the scan returns beyond the keys: index-only.
  // Columns the scan returns, and those of conditions the index will not check;
  // an expression key cannot give back its column, so no INCLUDE there.
  const needed = new Set(neededColumns(statementText, alias, table.columns));
  if (keys.some((k) => k.includes("("))) needed.clear();
  const keyColumns = new Set(keys.map((k) => k.replace(/ DESC| NULLS (FIRST|LAST)/g, "").replace(/^"|"$/g, "")));
  // A column the partial predicate fixes is known without storing it.
  const extra = [...needed].filter((c) => !keyColumns.has(c) && !predicates.some((pr) => pr === c || pr === `NOT ${c}` || pr.startsWith(`${c} `)));
  const include = extra.length > 0 && extra.length <= MAX_INCLUDE_COLUMNS && extra.every((c) => (table.columns.get(c)?.avgWidth ?? Infinity) <= MAX_INCLUDE_WIDTH) ? extra.map(q) : [];
  const definition = `(${keys.join(", ")})${include.length ? ` INCLUDE (${include.join(", ")})` : ""}${predicates.length ? ` WHERE ${predicates.join(" AND ")}` : ""}`;
  const kind: CandidateKind = keys.some((k) => k.includes("(")) ? "expression" : predicates.length ? "partial" : include.length ? "covering" : "btree";
  const nameParts = keys.map((k) => {
    const key = k.replace(/ DESC| NULLS (FIRST|LAST)/g, "");
    const fn = /^(\w+)\(/.exec(key)?.[1] ?? (/^\((?!.*->>)/.test(key) ? "expr" : undefined);
    if (!fn || fn === "lower") return key.replace(/lower\((.+)\)/, "$1_lower").replace(/\((.+) ->> '(.+)'\)/, "$1_$2");
    // A function of a column: <column>_<function> (date_trunc('day', start_time AT TIME ZONE 'UTC') -> start_time_date_trunc).
    const column = [...key.replace(/'(?:[^']|'')*'/g, "").replace(/::\w+/g, "").matchAll(/\b([a-z_][a-z0-9_]*)\b/g)].map((m) => m[1]!).find((c) => table.columns.has(c));
    return column ? `${column}_${fn}` : fn;
  });
  return {
    table: table.name,
    kind,
    definition,
    name: indexName(table.name, predicates.length ? [...nameParts, "partial"] : nameParts),
    reason: `${p.detail}; ${describeShape(terms, range, sortKeys, predicates, include)}`,
  };
}

function describeShape(terms: Terms, range: string | undefined, sort: readonly string[], predicates: readonly string[], include: readonly string[]): string {
  const parts = [
    terms.eq.length ? `equality on ${terms.eq.join(", ")}` : "",
    range ? `range on ${range}` : "",
    terms.rowCompare.length ? `keyset (${terms.rowCompare.join(", ")}) row comparison` : "",
    sort.length ? `order by ${sort.join(", ")}` : "",
    predicates.length ? `only rows where ${predicates.join(" AND ")} (partial)` : "",
    include.length ? `INCLUDE ${include.join(", ")} for an index-only scan` : "",
  ].filter(Boolean);
  return `btree: ${parts.join("; ")}`;
}

// ---- does an existing index already serve it? --------------------------------

const bare = (k: string) => k.replace(/ DESC$/, "").replace(/ NULLS (FIRST|LAST)$/, "").replace(/\s+/g, "").replace(/::text/g, "").toLowerCase();
const desc = (k: string) => / DESC/.test(k);
const normPredicate = (p: string | null) => (p ?? "").replace(/::[a-z ]+(\[\])?/gi, "").replace(/[()\s]/g, "").toLowerCase();

function parseDefinition(definition: string): { method: string; keys: string[]; opclasses: string[]; include: string[]; predicate: string | null } {
  const method = /^USING (\w+)/i.exec(definition)?.[1]?.toLowerCase() ?? "btree";
  const rest = definition.replace(/^USING \w+\s*/i, "");
  const close = matchingParenAt(rest, rest.indexOf("("));
  const keyText = rest.slice(rest.indexOf("(") + 1, close);
  const after = rest.slice(close + 1);
  const include = /^\s*INCLUDE \((.*?)\)/i.exec(after)?.[1]?.split(",").map((s) => s.trim()) ?? [];
  const predicate = /\bWHERE (.+)$/i.exec(after)?.[1] ?? null;
  const keyParts = splitComma(keyText);
  return {
    method,
    keys: keyParts.map((k) => k.replace(/ (gin_trgm_ops|jsonb_path_ops|jsonb_ops|text_pattern_ops)$/, "")),
    opclasses: keyParts.map((k) => / (gin_trgm_ops|jsonb_path_ops|jsonb_ops|text_pattern_ops)$/.exec(k)?.[1] ?? ""),
    include,
    predicate,
  };
}

/** Index of the parenthesis closing the one opened at `open` (quoted text skipped). */
export function matchingParenAt(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "'") i = s.indexOf("'", i + 1);
    else if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i;
  }
  return s.length;
}

function splitComma(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") depth--;
    else if (s[i] === "," && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter(Boolean);
}

/**
 * The existing index that serves a candidate: same method; for GIN the same
 * column with a compatible operator class (jsonb_ops serves what
 * jsonb_path_ops does); for btree the candidate's equality keys lead the
 * existing index in any order, the rest follow in order (all directions
 * equal or all reversed), the same predicate or none, and every INCLUDE
 * column stored.
 */
export function servedBy(candidate: Candidate, indexes: readonly ExistingIndex[]): ExistingIndex | null {
  const c = parseDefinition(candidate.definition);
  for (const ix of indexes) {
    if (!ix.valid || ix.method !== c.method || ix.name === candidate.replaces) continue;
    if (c.method === "gin") {
      if (ix.keys.length === 1 && bare(ix.keys[0]!) === bare(c.keys[0]!) && (ix.opclasses[0] === c.opclasses[0] || (c.opclasses[0] === "jsonb_path_ops" && ix.opclasses[0] === ""))) return ix;
      continue;
    }
    if (ix.predicate && normPredicate(ix.predicate) !== normPredicate(c.predicate)) continue;
    if (ix.keys.length < c.keys.length) continue;
    if (!keysServe(c.keys, ix.keys)) continue;
    const stored = new Set([...ix.keys, ...ix.include].map(bare));
    if (!c.include.every((i) => stored.has(bare(i)))) continue;
    return ix;
  }
  return null;
}

function keysServe(candidate: readonly string[], existing: readonly string[]): boolean {
  // Same columns in the same order, directions all equal or all reversed (a btree scans backwards).
  let same = true;
  let reversed = true;
  for (let i = 0; i < candidate.length; i++) {
    if (bare(candidate[i]!) !== bare(existing[i]!)) return false;
    if (desc(candidate[i]!) !== desc(existing[i]!)) same = false;
    else reversed = false;
  }
  return same || reversed || candidate.length === 1;
}

/** Merge candidates with the same definition (statements helped: the union) and drop those an index already serves. */
export function consolidateCandidates(all: readonly Candidate[], schema: SchemaInfo): { candidates: Candidate[]; served: { candidate: Candidate; by: string }[] } {
  const byKey = new Map<string, Candidate>();
  for (const c of all) {
    const key = `${c.table} ${c.definition}`;
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, statements: [...new Set([...seen.statements, ...c.statements])] } : c);
  }
  const candidates: Candidate[] = [];
  const served: { candidate: Candidate; by: string }[] = [];
  const names = new Set<string>();
  for (const c of byKey.values()) {
    const by = servedBy(c, schema.get(c.table)?.indexes ?? []);
    if (by) {
      served.push({ candidate: c, by: by.name });
      continue;
    }
    let name = c.name;
    for (let i = 2; names.has(name) || (schema.get(c.table)?.indexes ?? []).some((ix) => ix.name === name); i++) name = `${c.name.slice(0, 60)}_${i}`;
    names.add(name);
    candidates.push({ ...c, name });
  }
  return { candidates, served };
}

/** The name of a covering index that widens `existing` (identifiers stop at 63 bytes). */
export function widenedName(existing: string): string {
  return `${existing.slice(0, 58)}_wide`;
}
