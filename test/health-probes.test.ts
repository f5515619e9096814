// /livez never depends on the database; /readyz follows it down and back up;
// /metrics is valid Prometheus text (checked with a real parser) holding the
// query-latency histogram and postgres_exporter's metric names. Uses a
// throwaway server of its own so it can stop and start it.
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { QUERY_DURATION_BUCKETS } from "../src/health/metrics.ts";
import { waitFor } from "./support/wait-for.ts";
import { restartableHealthApp } from "./support/health-server.ts";

interface ParsedFamily {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[];
}
// parse-prometheus-text-format ships no type definitions: typed here by what we use.
const parsePrometheusTextFormat = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => ParsedFamily[];

describe("probes and metrics (own server, stopped and restarted)", () => {
  const server = restartableHealthApp("probes", { token: "probe-token-0123456789" });

  const get = (url: string, token = true) => server.app.inject({ url, headers: token ? { authorization: "Bearer probe-token-0123456789" } : {} });
  const metrics = async () => {
    const res = await get("/metrics");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusTextFormat(res.body);
  };
  const family = (families: ParsedFamily[], name: string) => families.find((f) => f.name === name);

  it("/metrics parses as Prometheus text and holds the latency histogram and postgres_exporter's names", async () => {
    for (let i = 0; i < 5; i++) await server.database.sql`SELECT ${i}::int AS i`;
    await server.database.sql`SELECT 1/0`.catch(() => {});
    const families = await metrics();
    const histogram = family(families, "bollalabz_db_query_duration_seconds")!;
    expect(histogram.type).toBe("HISTOGRAM");
    expect(histogram.metrics).toHaveLength(1);
    const ok = histogram.metrics[0]!;
    // (Object keys: integer-like ones come first, so order by the bound.)
    const le = (key: string) => (key === "+Inf" ? Infinity : Number(key));
    const buckets = Object.entries(ok.buckets!).sort((a, b) => le(a[0]) - le(b[0]));
    expect(buckets.map(([key]) => key)).toEqual([...QUERY_DURATION_BUCKETS.map(String), "+Inf"]);
    // Five queries and the failed one.
    expect(Number(ok.count)).toBeGreaterThanOrEqual(6);
    expect(Number(ok.buckets!["+Inf"])).toBe(Number(ok.count));
    expect(Number(ok.sum)).toBeGreaterThan(0);
    // Buckets are cumulative.
    const counts = buckets.map(([, count]) => Number(count));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));

    expect(family(families, "pg_up")!.metrics[0]!.value).toBe("1");
    const blksHit = family(families, "pg_stat_database_blks_hit")!;
    expect(blksHit.type).toBe("COUNTER");
    expect(blksHit.metrics.find((m) => m.labels?.datname === server.databaseName)).toMatchObject({ labels: { datid: expect.stringMatching(/^\d+$/), datname: server.databaseName } });
    expect(Number(blksHit.metrics.find((m) => m.labels?.datname === server.databaseName)!.value)).toBeGreaterThan(0);
    const activity = family(families, "pg_stat_activity_count")!;
    expect(activity.type).toBe("GAUGE");
    const mine = activity.metrics.filter((m) => m.labels?.datname === server.databaseName);
    expect(mine.map((m) => m.labels!.state).sort()).toEqual(["active", "disabled", "fastpath function call", "idle", "idle in transaction", "idle in transaction (aborted)"]);
    expect(Number(mine.find((m) => m.labels!.state === "active")!.value)).toBeGreaterThanOrEqual(1);
    expect(family(families, "pg_stat_activity_max_tx_duration")).toBeDefined();
    expect(family(families, "pg_stat_database_xact_commit")).toBeDefined();
  });

  it("/livez stays 200 while the database is down; /readyz goes 503 and comes back", async () => {
    expect((await get("/livez", false)).statusCode).toBe(200);
    const ready = await get("/readyz", false);
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: "ready", database: { reachable: true } });

    server.stop();
    const down = await waitFor(() => get("/readyz", false), (r) => r.statusCode === 503, "/readyz to answer 503");
    expect(down.json()).toMatchObject({ status: "not ready", database: { reachable: false, error: { code: expect.any(String) } } });
    for (let i = 0; i < 3; i++) {
      const live = await get("/livez", false);
      expect(live.statusCode).toBe(200);
      expect(live.json()).toEqual({ status: "ok" });
    }
    const downMetrics = await metrics();
    expect(family(downMetrics, "pg_up")!.metrics[0]!.value).toBe("0");
    expect(family(downMetrics, "pg_stat_database_blks_hit")?.metrics ?? []).toEqual([]);
    // The histogram keeps its counts through the outage (counters never go back).
    expect(family(downMetrics, "bollalabz_db_query_duration_seconds")!.type).toBe("HISTOGRAM");

    await server.start();
    await waitFor(() => get("/readyz", false), (r) => r.statusCode === 200, "/readyz to answer 200 again", 30_000);
    expect((await get("/livez", false)).statusCode).toBe(200);
    expect(family(await metrics(), "pg_up")!.metrics[0]!.value).toBe("1");
  }, 90_000);
});
