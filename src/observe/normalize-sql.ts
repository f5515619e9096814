// Statement text without the values in it. pg_stat_activity shows what a
// client sent, literals included (a phone number in a WHERE clause, a
// password in ALTER ROLE); the activity answers show the statement's shape
// only, like pg_stat_statements does: every literal becomes $n, comments go.
// A small tokenizer rather than a regex, so quotes inside comments or
// dollar-quoted bodies cannot confuse it. Truncated input (the server cuts
// at track_activity_query_size) ends as a placeholder, never as a partial value.

/** Answers stay readable and bounded. */
export const ACTIVITY_TEXT_MAX = 500;

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

export function normalizeStatement(text: string, max = ACTIVITY_TEXT_MAX): string {
  let highest = 0;
  for (const m of text.matchAll(/\$(\d+)/g)) highest = Math.max(highest, Number(m[1]));
  const next = () => `$${++highest}`;
  let out = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const prev = out.length > 0 ? out[out.length - 1]! : " ";
    if (c === "-" && text[i + 1] === "-") {
      const end = text.indexOf("\n", i);
      i = end === -1 ? n : end;
      out += " ";
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === "/" && text[i + 1] === "*") (depth++, (i += 2));
        else if (text[i] === "*" && text[i + 1] === "/") (depth--, (i += 2));
        else i++;
      }
      out += " ";
      continue;
    }
    if (c === '"') {
      // Quoted identifier: kept ("" is an escaped quote).
      let j = i + 1;
      while (j < n && !(text[j] === '"' && text[j + 1] !== '"')) j += text[j] === '"' ? 2 : 1;
      out += text.slice(i, Math.min(n, j + 1));
      i = j + 1;
      continue;
    }
    // String constants, with an optional E / B / X / U& / N prefix.
    const prefix = /^(?:[EeBbXxNn]|[Uu]&)'/.exec(text.slice(i, i + 3));
    if (c === "'" || (prefix && !IDENT_CHAR.test(prev))) {
      const start = c === "'" ? i : i + prefix![0].length - 1;
      const backslashes = c !== "'" && /^[Ee]/.test(prefix![0]);
      let j = start + 1;
      while (j < n) {
        if (backslashes && text[j] === "\\") j += 2;
        else if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      out += next();
      i = j + 1;
      continue;
    }
    if (c === "$" && !IDENT_CHAR.test(prev)) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 65));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        out += next();
        i = end === -1 ? n : end + tag[0].length;
        continue;
      }
      const param = /^\$\d+/.exec(text.slice(i));
      if (param) {
        out += param[0];
        i += param[0].length;
        continue;
      }
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      if (!IDENT_CHAR.test(prev)) {
        const num = /^(?:0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
        out += next();
        i += Math.max(1, num?.[0].length ?? 1);
        continue;
      }
    }
    out += c;
    i++;
  }
  const flat = out.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
