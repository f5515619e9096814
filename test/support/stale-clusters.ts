// Throwaway embedded clusters (src/embedded/server.ts) whose folder in the
// system temp dir is named <prefix><pid>-...: the ones whose test process is
// gone (killed before its afterAll) are stopped and deleted.
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { destroyEmbedded } from "../../src/embedded/server.ts";

export function removeStaleClusters(prefix: string): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(prefix)) continue;
    const owner = Number(entry.slice(prefix.length).split("-")[0]);
    if (!Number.isInteger(owner) || owner <= 0) continue;
    let alive = false;
    try {
      process.kill(owner, 0);
      alive = true;
    } catch (error) {
      alive = (error as NodeJS.ErrnoException).code === "EPERM";
    }
    const dir = path.join(tmpdir(), entry);
    if (!alive && existsSync(dir)) destroyEmbedded(dir);
  }
}
