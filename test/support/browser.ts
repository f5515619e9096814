// Debian's Chromium (apt-get install chromium; .ci/run installs it) driven by
// puppeteer-core: headless, no background networking (this machine's network
// is closed), a fresh profile per launch, --no-sandbox when running as root.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser test needs Debian's Chromium (apt-get install -y chromium; .ci/run does this) or CHROMIUM_PATH set to a Chromium binary.`);
  }
  const profile = mkdtempSync(path.join(tmpdir(), "bollalabz-chromium-"));
  const args = [
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    `--user-data-dir=${profile}`,
  ];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args, protocolTimeout: 120_000, timeout: 60_000 });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
