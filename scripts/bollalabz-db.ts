#!/usr/bin/env node
// The one command-line entry (`npm run <verb>` runs `node scripts/bollalabz-db.ts <verb>`); the verbs are src/commands/<verb>.ts.
await (await import("../src/commands/cli.ts")).runVerb(process.argv.slice(2));
