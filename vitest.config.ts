import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Inside this repository the package's own name (e.g. "bollalabz-db/pool" in
// docs/examples) resolves to the .ts sources, as in tsconfig.json; applications get dist/.
const SOURCE_CONDITION = "bollalabz-db:source";
// Without "module": with it, prom-client's optional @opentelemetry/api import resolves
// to that package's ESM build, whose extensionless relative imports Node cannot load
// ("Cannot find module .../build/esm/baggage/utils"): every test importing /metrics failed.

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions.filter((c) => c !== "module")] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== "module")] } },
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
