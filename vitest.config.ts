import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One real PostgreSQL for the whole run (test/support/global-setup.ts);
    // each test file works in databases of its own.
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    // 2-core machines: two files at a time keeps database-heavy files from starving each other.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ["default"],
  },
});
