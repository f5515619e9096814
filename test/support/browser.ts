// A headless Chromium (test/support/chromium.ts says which one) driven by
// puppeteer-core: no background networking (this machine's network is
// closed), a fresh profile per launch, --no-sandbox when running as root.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { findChromium } from "./chromium.ts";

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const chromium = await findChromium();
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
