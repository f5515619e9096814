import { plannableStatement } from "./src/advise/parameter-contexts.ts";
const col = (name: string, type: string) => [name, { name, type, avgWidth: 8, nDistinct: 10 }] as const;
const schema = new Map([["m", { name: "m", rows: 1e6, indexes: [], columns: new Map([col("id","bigint"), col("content","text"), col("created_at","timestamp with time zone"), col("d","date"), col("status","character varying(20)"), col("tags","text[]"), col("name","text"), col("a","text"), col("b","bigint")]) }]]) as any;
for (const q of [
 "SELECT left(content, $1), date_trunc($2, created_at) FROM m WHERE id = ANY($3) AND status IN ($4, $5) AND tags @> ARRAY[$6]::text[] LIMIT $7 OFFSET $8",
 "SELECT id FROM m x WHERE x.created_at > now() - interval $1 AND d >= current_date - $2 AND lower(name) = lower($3 || $4) AND content ILIKE $5 AND (a, b) > ($6, $7) AND d BETWEEN $8 AND $9",
 "UPDATE m SET status = $1 WHERE id = $2",
 "INSERT INTO m (id, content) VALUES ($1, $2)",
 "SELECT status, count(*) FROM m WHERE b = $1 AND $2 < created_at GROUP BY status",
]) { const r = await plannableStatement(q, schema); console.log(r.plannableSql); for (const p of r.params) console.log("  ", p.n, p.type, p.context); }
