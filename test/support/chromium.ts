// Which Chromium the browser tests drive, in this order:
//   1. CHROMIUM_PATH, when set (must be an executable file);
//   2. a system Chromium on PATH (chromium, chromium-browser);
//   3. the headless Chromium that the npm package @sparticuz/chromium ships
//      brotli-packed inside itself, unpacked once into the system temp dir.
// So `npm ci && npm test` needs nothing outside npm.
import { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

export interface ChromiumExecutable {
  readonly path: string;
  readonly source: "CHROMIUM_PATH" | "system" | "npm";
  /** Environment the binary needs (the npm build: its own NSS libraries and fonts). */
  readonly env: Readonly<Record<string, string>>;
}

const SYSTEM_NAMES = ["chromium", "chromium-browser"];

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function systemChromium(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    for (const name of SYSTEM_NAMES) {
      const candidate = path.join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * Unpacks @sparticuz/chromium into <tmp>/bollalabz-chromium-<version>/ once.
 * The package unpacks into os.tmpdir() itself (shared /tmp/chromium, written in
 * place): we point TMPDIR at a scratch folder of our own for the call and
 * rename it into place, so a concurrent test process never runs a half-written binary.
 */
async function npmChromium(): Promise<ChromiumExecutable> {
  const require = createRequire(import.meta.url);
  const packageDir = path.resolve(path.dirname(require.resolve("@sparticuz/chromium")), "..");
  const { version } = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  const systemTmp = tmpdir();
  const dir = path.join(systemTmp, `bollalabz-chromium-${version}`);
  const binary = path.join(dir, "chromium");
  if (!isExecutableFile(binary)) {
    const scratch = `${dir}.tmp-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    const { default: Chromium, inflate } = await import("@sparticuz/chromium");
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      Chromium.setGraphicsMode = false;
      await Chromium.executablePath(path.join(packageDir, "bin"));
      // NSS and expat built for this Chromium (the package uses them on
      // Amazon Linux only): with them it needs no browser libraries from the system.
      await inflate(path.join(packageDir, "bin", "al2023.tar.br"));
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    // The package's fonts.conf names /tmp/fonts; ours names where the fonts are.
    writeFileSync(
      path.join(scratch, "fonts", "fonts.conf"),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${path.join(dir, "fonts")}</dir>\n  <dir>/usr/share/fonts</dir>\n  <cachedir>${path.join(dir, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
    );
    try {
      renameSync(scratch, dir);
    } catch (error) {
      // Another process unpacked it first: use its copy.
      rmSync(scratch, { recursive: true, force: true });
      if (!isExecutableFile(binary)) throw error;
    }
  }
  return {
    path: binary,
    source: "npm",
    env: { LD_LIBRARY_PATH: path.join(dir, "al2023", "lib"), FONTCONFIG_PATH: path.join(dir, "fonts") },
  };
}

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumExecutable> {
  const fromEnv = env.CHROMIUM_PATH?.trim();
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) {
      throw new Error(
        `CHROMIUM_PATH=${fromEnv} is not an executable file. Point it at a Chromium binary, or unset it to use a system Chromium or the one from npm (@sparticuz/chromium).`,
      );
    }
    return { path: fromEnv, source: "CHROMIUM_PATH", env: {} };
  }
  const system = systemChromium();
  if (system) return { path: system, source: "system", env: {} };
  return npmChromium();
}
