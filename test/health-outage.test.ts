// The database goes away and comes back: the health API answers 503 quickly
// while it is down and 200 again afterwards, without a restart. Uses a
// throwaway server of its own (the shared test server must stay up).
import { describe, expect, it } from "vitest";
import { waitFor } from "./support/wait-for.ts";
import { RECONNECT_BACKOFF_MAX_SECONDS, reconnectBackoffSeconds } from "../src/pool/create-database.ts";
import { measureHealthRecovery } from "../src/bench/health-recovery.ts";
import { restartableHealthApp } from "./support/health-server.ts";

describe("database down, then back", () => {
  const server = restartableHealthApp("health-outage");

  const health = async () => {
    const started = performance.now();
    const res = await server.app.inject({ url: "/api/v1/health" });
    return { res, ms: performance.now() - started };
  };

  it("200 up, 503 while stopped (reset-stats too), 200 again after restart", async () => {
    const { app, database } = server;
    const up = await health();
    expect(up.res.statusCode).toBe(200);

    server.stop();
    for (let i = 0; i < 3; i++) {
      const down = await health();
      // Quick because the probe has a 2 s deadline (pingTimeoutMs); the time is not asserted (busy machines).
      expect(down.res.statusCode).toBe(503);
      expect(down.res.json()).toMatchObject({ status: "unavailable", database: { reachable: false, error: { code: expect.any(String) } }, pool: { max: 20 } });
    }
    const detail = await app.inject({ url: "/api/v1/health/database" });
    expect(detail.statusCode).toBe(503);
    expect(detail.json()).toMatchObject({ status: "unavailable", error: { code: expect.any(String) } });
    // A reset that cannot reach the database resets nothing and says so.
    const sinceBefore = database.getQueryStats().since;
    const reset = await app.inject({ method: "POST", url: "/api/v1/health/database/reset-stats", headers: { "content-type": "application/json" }, payload: "{}" });
    expect(reset.statusCode).toBe(503);
    expect(reset.json()).toMatchObject({ status: "unavailable", error: { code: expect.any(String) } });
    expect(database.getQueryStats().since).toBe(sinceBefore);
    const metrics = await app.inject({ url: "/metrics" });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/^bollalabz_db_up 0$/m);

    await server.start();
    await waitFor(async () => (await health()).res.statusCode, (status) => status === 200, "health to answer 200 after the restart", 30_000);
    const resetBack = await app.inject({ method: "POST", url: "/api/v1/health/database/reset-stats", headers: { "content-type": "application/json" }, payload: "{}" });
    expect(resetBack.statusCode).toBe(200);
    expect(resetBack.json()).toMatchObject({ reset: true });
    expect((await app.inject({ url: "/api/v1/health/database" })).statusCode).toBe(200);
    expect(database.poolStats()).toMatchObject({ busy: 0, waiting: 0 });
  }, 60_000);

  it("after a long outage (many failed connects) the health probe reconnects as soon as the server is back", async () => {
    // postgres.js's default backoff grows with every failed connect (to 20 s);
    // the pool caps it (reconnectBackoffSeconds). Timing is measured, not
    // asserted: the test waits on the state (200) with a generous deadline and
    // prints the figure; `npm run bench -- health-recovery` reports it per round.
    expect(reconnectBackoffSeconds(50)).toBeLessThanOrEqual(RECONNECT_BACKOFF_MAX_SECONDS);
    const m = await measureHealthRecovery(
      {
        stop: server.stop,
        start: server.start,
        health: async () => (await server.app.inject({ url: "/api/v1/health" })).statusCode,
      },
      // Enough failed connects that postgres.js's uncapped backoff would have reached seconds.
      { downForMs: 0, minDownAnswers: 20, deadlineMs: 30_000 },
    );
    console.log(`health 200 again ${m.recoveryMs.toFixed(0)} ms after the server accepted connections (${m.downAnswers} answers 503 while down)`);
    expect(m.downAnswers).toBeGreaterThanOrEqual(20);
    expect(m.recovered).toBe(true);
  }, 90_000);
});
