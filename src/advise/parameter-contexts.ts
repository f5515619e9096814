// Where each $n of a workload statement sits, read with PostgreSQL's own
// parser (libpg-query: the server's grammar as WASM, patched to accept
// pg_stat_statements' normalized text such as `interval $1`). From the
// context comes the parameter's type, the kind of value it takes, and the
// plannable text: pg_stat_statements replaces every constant by $n, also
// where SQL's grammar has no parameter (`interval '30 days'` -> `interval $1`,
// a syntax error when planned) or where the constant typed the expression
// (`current_date - 7` -> `current_date - $1`: "operator does not exist:
// date >= integer" under EXPLAIN (GENERIC_PLAN)).
import { loadModule, parseSync } from "libpg-query";
import type { SchemaInfo } from "./schema.ts";
import { names, nodeType, paramRefs, Resolver, tableAliases, typeName, type ColumnRef, type Node, type Step } from "./statement-tree.ts";
export type { ColumnRef } from "./statement-tree.ts";

/** What kind of value a parameter takes (decides where its values come from). */
export type ParamRole =
  | { readonly kind: "limit" }
  | { readonly kind: "offset" }
  | { readonly kind: "length" }
  | { readonly kind: "position" }
  | { readonly kind: "time-unit" }
  | { readonly kind: "interval" }
  /** The integer days of `current_date - $1` (date arithmetic). */
  | { readonly kind: "days" }
  | { readonly kind: "compare"; readonly column: ColumnRef; readonly op: string; readonly wrap?: "lower" | "upper" }
  | { readonly kind: "like"; readonly column: ColumnRef; readonly caseInsensitive: boolean; readonly wrap?: "lower" | "upper" }
  /** `col = ANY($n)`: an array of the column's values. */
  | { readonly kind: "any"; readonly column: ColumnRef }
  /** `col IN ($1, $2, ...)`: `index` is its place in the list. */
  | { readonly kind: "in"; readonly column: ColumnRef; readonly index: number }
  /** `array_col @> ARRAY[$n]`: an element of the array column. */
  | { readonly kind: "element"; readonly column: ColumnRef }
  /** `UPDATE ... SET col = $n`, `INSERT ... VALUES ($n)`: a value of the column. */
  | { readonly kind: "assign"; readonly column: ColumnRef }
  | { readonly kind: "unknown"; readonly why: string };

export interface ParamContext {
  readonly n: number;
  readonly role: ParamRole;
  readonly type: string | null;
  /** Words for the report: "LIMIT", "compared with contacts.status (=)". */
  readonly context: string;
}

export interface PlannableStatement {
  readonly sql: string;
  readonly plannableSql: string;
  readonly params: readonly ParamContext[];
  /** The parser rejected the text (then plannableSql = sql and every role is unknown). */
  readonly parseError?: string;
}

let loaded: Promise<void> | undefined;
/** The WASM parser loads once per process (about 50 ms). */
export function loadParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

const COMPARISONS = new Set(["=", "<>", "!=", "<", ">", "<=", ">="]);
const FLIP: Record<string, string> = { "<": ">", ">": "<", "<=": ">=", ">=": "<=" };
const TIME_TYPES = /^(timestamp|date|time)/;

const opOf = (node: Node) => names((node as { name?: unknown }).name).at(-1) ?? "";

type RoleResult = { role: ParamRole; castType: string | null; typedLiteral: { start: number; typeText: string } | null };
type Done = (role: ParamRole) => RoleResult;

/** Where a parameter sits: its nearest non-cast ancestor (`parent`), the one above, and itself as its parent holds it. */
interface Place {
  readonly ancestors: readonly Step[];
  /** Index of the parent in ancestors. */
  readonly i: number;
  readonly parent: Step;
  readonly grand: Step | undefined;
  readonly child: unknown;
  readonly r: Resolver;
  readonly done: Done;
}

/** The role of one parameter occurrence, from its ancestors. */
function roleOf(param: Node, ancestors: readonly Step[], paramField: string, r: Resolver): RoleResult {
  let i = ancestors.length - 1;
  let castType: string | null = null;
  let typedLiteral: { start: number; typeText: string } | null = null;
  let child: unknown = { ParamRef: param };
  // Casts around the parameter: `$1::bigint[]`, and the typed literal `interval $1` (a cast without its own location).
  while (i >= 0 && ancestors[i]!.type === "TypeCast") {
    const tc = ancestors[i]!.node as { location?: number; typeName?: { location?: number } };
    castType ??= typeName(tc.typeName);
    if (tc.location === -1 && (tc.typeName?.location ?? -1) >= 0 && (tc.typeName!.location ?? 0) < ((param as { location?: number }).location ?? 0)) typedLiteral = { start: tc.typeName!.location!, typeText: "" };
    child = { TypeCast: ancestors[i]!.node };
    i--;
  }
  const done: Done = (role) => ({ role, castType, typedLiteral });
  const parent = ancestors[i];
  if (!parent) return done({ kind: "unknown", why: "it stands alone" });
  const lastField = ancestors[i + 1]?.field ?? paramField;
  if (parent.type === "SelectStmt" && lastField === "limitCount") return done({ kind: "limit" });
  if (parent.type === "SelectStmt" && lastField === "limitOffset") return done({ kind: "offset" });
  if (castType && /interval/.test(castType)) return done({ kind: "interval" });
  const place: Place = { ancestors, i, parent, grand: ancestors[i - 1], child, r, done };
  switch (parent.type) {
    case "FuncCall":
      return functionArgumentRole(place);
    case "A_Expr":
      return compareRole(parent.node, child, r, done);
    case "A_ArrayExpr":
      return arrayElementRole(place);
    case "RowExpr":
      if (place.grand?.type === "A_Expr") return rowElementRole(place);
      break;
    case "List":
      if (place.grand?.type === "A_Expr") return listElementRole(place) ?? done({ kind: "unknown", why: `it sits in a ${parent.type} the advisor does not read` });
      break;
  }
  return assignmentRole(place) ?? done({ kind: "unknown", why: `it sits in a ${parent.type} the advisor does not read` });
}

const positionIn = (list: readonly unknown[], child: unknown) => list.findIndex((a) => a === child || sameParam(a, child));

/** left($1)/substr lengths and positions, date_trunc units, lower($1) compared with lower(col). */
function functionArgumentRole({ ancestors, i, parent, child, r, done }: Place): RoleResult {
  const fn = names((parent.node as { funcname?: unknown }).funcname).at(-1) ?? "";
  const at = positionIn(((parent.node as { args?: unknown[] }).args ?? []) as unknown[], child);
  if ((fn === "left" || fn === "right" || fn === "repeat" || fn === "lpad" || fn === "rpad") && at === 1) return done({ kind: "length" });
  if ((fn === "substr" || fn === "substring") && at === 1) return done({ kind: "position" });
  if ((fn === "substr" || fn === "substring") && at === 2) return done({ kind: "length" });
  if ((fn === "date_trunc" || fn === "date_part") && at === 0) return done({ kind: "time-unit" });
  if (fn === "lower" || fn === "upper") {
    // lower($1) compared with lower(col): the comparison decides.
    const outer = ancestors[i - 1];
    if (outer?.type === "A_Expr") return compareRole(outer.node, { FuncCall: parent.node }, r, done, fn);
  }
  return done({ kind: "unknown", why: `it is an argument of ${fn}()` });
}

/** `col IN ($1, $2)`, `col BETWEEN $1 AND $2`. */
function listElementRole({ parent, grand, child, r, done }: Place): RoleResult | null {
  const kind = String((grand!.node as { kind?: string }).kind);
  const at = positionIn(((parent.node as { items?: unknown[] }).items ?? []) as unknown[], child);
  const column = r.column((grand!.node as { lexpr?: unknown }).lexpr);
  if (!column) return done({ kind: "unknown", why: "its list is compared with an expression, not a column" });
  if (kind === "AEXPR_IN") return done({ kind: "in", column, index: at });
  if (kind.startsWith("AEXPR_BETWEEN") || kind.startsWith("AEXPR_NOT_BETWEEN")) return done({ kind: "compare", column, op: at === 0 ? ">=" : "<=" });
  return null;
}

/** `col = ANY(ARRAY[$1, ...])`, `array_col @> ARRAY[$1]`. */
function arrayElementRole({ ancestors, i, r, done }: Place): RoleResult {
  let j = i - 1;
  while (j >= 0 && ancestors[j]!.type === "TypeCast") j--;
  const outer = ancestors[j];
  if (outer?.type === "A_Expr") {
    const kind = String((outer.node as { kind?: string }).kind);
    const column = r.column((outer.node as { lexpr?: unknown }).lexpr) ?? r.column((outer.node as { rexpr?: unknown }).rexpr);
    if (column && kind === "AEXPR_OP_ANY") return done({ kind: "in", column, index: 0 });
    if (column && /\[\]$/.test(column.type)) return done({ kind: "element", column });
  }
  return done({ kind: "unknown", why: "it is an element of an array not compared with an array column" });
}

/** `(a, id) > ($1, $2)`: each element compared with the column in its place. */
function rowElementRole({ parent, grand, child, r, done }: Place): RoleResult {
  const at = positionIn(((parent.node as { args?: unknown[] }).args ?? []) as unknown[], child);
  const g = grand!.node as { lexpr?: unknown; rexpr?: unknown };
  const paramOnLeft = nodeType(g.lexpr)?.[1] === parent.node;
  const other = nodeType(paramOnLeft ? g.rexpr : g.lexpr);
  if (other?.[0] === "RowExpr") {
    const column = r.column(((other[1] as { args?: unknown[] }).args ?? [])[at]);
    const op = opOf(grand!.node);
    if (column && COMPARISONS.has(op)) return done({ kind: "compare", column, op: paramOnLeft ? (FLIP[op] ?? op) : op });
  }
  return done({ kind: "unknown", why: "it is part of a row compared with an expression" });
}

/** `UPDATE ... SET col = $1`, `INSERT ... (cols) VALUES ($1, ...)`: a value of the column written. */
function assignmentRole({ ancestors, parent, grand, child, r, done }: Place): RoleResult | null {
  const columnOf = (table: string, name: string) => r.column({ ColumnRef: { fields: [{ String: { sval: table } }, { String: { sval: name } }] } });
  if (parent.type === "ResTarget" && grand?.type === "UpdateStmt") {
    const name = String((parent.node as { name?: string }).name ?? "").toLowerCase();
    const table = String(((grand.node as { relation?: { relname?: string } }).relation?.relname) ?? "").toLowerCase();
    const column = columnOf(table, name);
    if (column) return done({ kind: "assign", column });
  }
  const insert = parent.type === "List" ? [...ancestors].reverse().find((s) => s.type === "InsertStmt") : undefined;
  if (!insert) return null;
  const at = positionIn(((parent.node as { items?: unknown[] }).items ?? []) as unknown[], child);
  const ins = insert.node as { relation?: { relname?: string }; cols?: unknown[] };
  const cols = (ins.cols ?? []).map((c) => String((c as { ResTarget?: { name?: string } }).ResTarget?.name ?? "").toLowerCase());
  const column = cols[at] ? columnOf(String(ins.relation?.relname ?? "").toLowerCase(), cols[at]!) : null;
  return column ? done({ kind: "assign", column }) : null;
}

function sameParam(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function compareRole(
  expr: Node,
  child: unknown,
  r: Resolver,
  done: Done,
  wrapOfParam?: string,
) {
  const e = expr as { kind?: string; lexpr?: unknown; rexpr?: unknown };
  const kind = String(e.kind);
  const op = opOf(expr);
  const onLeft = e.lexpr === child || sameParam(e.lexpr, child);
  const other = onLeft ? e.rexpr : e.lexpr;
  if (kind === "AEXPR_OP_ANY" || kind === "AEXPR_OP_ALL") {
    const column = r.column(e.lexpr);
    return column ? done({ kind: "any", column }) : done({ kind: "unknown", why: "= ANY(...) compares an expression, not a column" });
  }
  if (kind === "AEXPR_LIKE" || kind === "AEXPR_ILIKE") {
    const c = r.wrappedColumn(e.lexpr);
    return c ? done({ kind: "like", column: c.column, caseInsensitive: kind === "AEXPR_ILIKE" || c.wrap !== undefined, ...(c.wrap ? { wrap: c.wrap } : {}) }) : done({ kind: "unknown", why: "LIKE on an expression, not a column" });
  }
  if (kind === "AEXPR_OP" && (op === "+" || op === "-")) {
    const operand = r.typeOf(other);
    if (operand && /^date$/.test(operand)) return done({ kind: "days" });
    if (operand && TIME_TYPES.test(operand)) return done({ kind: "interval" });
    return done({ kind: "unknown", why: `it is an operand of ${op} in an expression` });
  }
  if (kind === "AEXPR_OP" && (COMPARISONS.has(op) || op === "~~" || op === "~~*")) {
    const c = r.wrappedColumn(other);
    if (c && (op === "~~" || op === "~~*")) return done({ kind: "like", column: c.column, caseInsensitive: op === "~~*" || c.wrap !== undefined, ...(c.wrap ? { wrap: c.wrap } : {}) });
    if (c) return done({ kind: "compare", column: c.column, op: onLeft ? (FLIP[op] ?? op) : op, ...(c.wrap ?? wrapOfParam ? { wrap: (c.wrap ?? wrapOfParam) as "lower" | "upper" } : {}) });
    return done({ kind: "unknown", why: `it is compared (${op}) with an expression, not a column` });
  }
  if (kind === "AEXPR_OP" && op === "||") return done({ kind: "unknown", why: "it is concatenated (||) into an expression" });
  return done({ kind: "unknown", why: `it is an operand of ${op || kind}` });
}

/** The type a role gives its parameter (null: leave it to PostgreSQL). */
function roleType(role: ParamRole): string | null {
  switch (role.kind) {
    case "limit":
    case "offset":
      return "bigint";
    case "length":
    case "position":
    case "days":
      return "integer";
    case "time-unit":
      return "text";
    case "interval":
      return "interval";
    case "compare":
    case "assign":
    case "in":
      return role.column.type;
    case "like":
      return "text";
    case "any":
      return /\[\]$/.test(role.column.type) ? role.column.type : `${role.column.type}[]`;
    case "element":
      return role.column.type.replace(/\[\]$/, "");
    case "unknown":
      return null;
  }
}

function describeRole(role: ParamRole): string {
  switch (role.kind) {
    case "limit":
      return "LIMIT";
    case "offset":
      return "OFFSET";
    case "length":
      return "a length (left/substr)";
    case "position":
      return "a position (substr)";
    case "time-unit":
      return "a date_trunc/date_part unit";
    case "interval":
      return "an interval";
    case "days":
      return "days in date arithmetic";
    case "compare":
      return `compared with ${role.column.table}.${role.column.column} (${role.op})`;
    case "like":
      return `a ${role.caseInsensitive ? "case-insensitive " : ""}LIKE pattern on ${role.column.table}.${role.column.column}`;
    case "any":
      return `= ANY(array of ${role.column.table}.${role.column.column})`;
    case "in":
      return `IN list of ${role.column.table}.${role.column.column}`;
    case "element":
      return `an element of ${role.column.table}.${role.column.column}`;
    case "assign":
      return `a value written to ${role.column.table}.${role.column.column}`;
    case "unknown":
      return `unknown: ${role.why}`;
  }
}

/**
 * Parse a statement, give each $n its role and type, and write the plannable
 * text: typed literals become casts (`interval $1` -> `$1::interval`) and a
 * parameter the context types gets that cast (`current_date - $1::integer`).
 */
export async function plannableStatement(sql: string, schema: SchemaInfo): Promise<PlannableStatement> {
  await loadParser();
  let tree: unknown;
  try {
    tree = parseSync(sql);
  } catch (error) {
    const count = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    return {
      sql,
      plannableSql: sql,
      params: Array.from({ length: count }, (_, k) => ({ n: k + 1, role: { kind: "unknown", why: "the statement does not parse" } as ParamRole, type: null, context: "unknown: the statement does not parse" })),
      parseError: (error as Error).message,
    };
  }
  const r = new Resolver(tableAliases(tree, schema), schema);
  const bytes = Buffer.from(sql, "utf8");
  const edits: { start: number; end: number; text: string }[] = [];
  const byN = new Map<number, ParamContext>();
  for (const { param, ancestors, field } of paramRefs(tree)) {
    const n = Number((param as { number?: number }).number);
    const location = Number((param as { location?: number }).location);
    const token = `$${n}`;
    const { role, castType, typedLiteral } = roleOf(param, ancestors, field, r);
    const type = castType ?? roleType(role);
    if (typedLiteral) {
      const typeText = bytes.subarray(typedLiteral.start, location).toString("utf8").trim();
      edits.push({ start: typedLiteral.start, end: location + token.length, text: `${token}::${typeText}` });
    } else if (!castType && type && role.kind !== "unknown") {
      edits.push({ start: location + token.length, end: location + token.length, text: `::${type}` });
    } else if (!castType && role.kind === "unknown" && /concatenated/.test(role.why)) {
      // unknown || unknown cannot be planned without values; text is what || takes.
      edits.push({ start: location + token.length, end: location + token.length, text: "::text" });
    }
    const seen = byN.get(n);
    if (!seen || (seen.role.kind === "unknown" && role.kind !== "unknown")) byN.set(n, { n, role, type: type ?? (role.kind === "unknown" && /concatenated/.test(role.why) ? "text" : null), context: describeRole(role) });
  }
  let out = bytes;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = Buffer.concat([out.subarray(0, e.start), Buffer.from(e.text, "utf8"), out.subarray(e.end)]);
  const count = Math.max(0, ...byN.keys());
  const params: ParamContext[] = [];
  for (let n = 1; n <= count; n++) params.push(byN.get(n) ?? { n, role: { kind: "unknown", why: "it does not occur in the statement" }, type: null, context: "unknown: not in the statement" });
  return expandCollapsedLists({ sql, plannableSql: out.toString("utf8"), params });
}

// PostgreSQL 18's pg_stat_statements writes a list of constants or parameters
// as its first element and a comment: `IN ($1 /*, ... */)`, `ARRAY[$1 /*, ... */]`.
export const COLLAPSED_LIST = "/*, ... */";
const afterParam = (n: number) => String.raw`\$${n}(?:::[^/]*?)?\s*/\*, \.\.\. \*/\s*`;

// A collapsed list stands for several values, not one: the parameter becomes
// an array (`IN ($1 /*, ... */)` -> `= ANY($1::text[])`, `ARRAY[$1 /*, ... */]`
// -> `$1::text[]`), so it takes all the values of the list the app sent
// (log, pool monitor) or several inferred ones.
function expandCollapsedLists(p: PlannableStatement): PlannableStatement {
  if (!p.sql.includes(COLLAPSED_LIST)) return p;
  let text = p.plannableSql;
  const params = p.params.map((x) => {
    if (x.role.kind !== "in") return x;
    const role: ParamRole = { kind: "any", column: x.role.column };
    const type = roleType(role)!;
    const notIn = new RegExp(String.raw`\bNOT\s+IN\s*\(\s*${afterParam(x.n)}\)`, "i");
    const inList = new RegExp(String.raw`\bIN\s*\(\s*${afterParam(x.n)}\)`, "i");
    const array = new RegExp(String.raw`\bARRAY\s*\[\s*${afterParam(x.n)}\]`, "i");
    const before = text;
    text = text.replace(notIn, `<> ALL($${x.n}::${type})`).replace(inList, `= ANY($${x.n}::${type})`).replace(array, `$${x.n}::${type}`);
    return text === before ? x : { n: x.n, role, type, context: `${describeRole(role)} (a collapsed list: several values)` };
  });
  return { ...p, plannableSql: text, params };
}
