// A headless Chromium (test/support/chromium.ts says which one) driven by
// puppeteer-core: no background networking (this machine's network is
// closed), a fresh profile per launch, --no-sandbox when running as root.
import { rmSync } from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";
import { findChromium } from "./chromium.ts";
import { suiteServerDir } from "./server-dirs.ts";

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const chromium = await findChromium();
  // Named after this process: a killed run's profile is swept with its servers (server-dirs.ts).
  const profile = suiteServerDir("chromium");
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
  const browser = await puppeteer.launch({
    executablePath: chromium.path,
    headless: true,
    args,
    env: { ...process.env, ...chromium.env },
    protocolTimeout: 120_000,
    timeout: 60_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
