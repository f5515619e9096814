// npm run deploy. The missing-tools path runs the real script with a PATH
// that has no pulumi and no docker. The provisioning path cannot run here (no
// Pulumi engine, no Docker): its command sequence is checked through the
// runner interface runDeploy takes, with recorded calls, not a fake CLI.
import { rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT, UserError } from "../src/base/errors.ts";
import { runDeploy, stackArgs, type CommandRunner } from "../src/deploy/deploy.ts";
import { parseStackOutputs } from "../src/deploy/stack-outputs.ts";
import { findMissingTools, type ToolProbe } from "../src/deploy/tools.ts";
import { looksLikeCleanError, runScript } from "./support/run-script.ts";
import { suiteServerDir } from "./support/server-dirs.ts";

const SECRET_PW = "pw-that-must-not-leak-42";
const OUTPUTS = {
  host: "127.0.0.1",
  port: 55432,
  databaseName: "bollalabz",
  appRole: "bollalabz_app",
  containerName: "bollalabz-db-postgres",
  appUrl: `postgres://bollalabz_app:${SECRET_PW}x@127.0.0.1:55432/bollalabz`,
  migrationUrl: `postgres://postgres:${SECRET_PW}@127.0.0.1:55432/bollalabz`,
};

const allTools: ToolProbe = { which: async (c) => `/usr/bin/${c}`, dockerInfo: async () => ({ ok: true, detail: "28.2.2" }) };

interface Call {
  readonly mode: "interactive" | "capture";
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

function recordingRunner(codes: Partial<Record<string, number>> = {}, stdout = JSON.stringify(OUTPUTS)) {
  const calls: Call[] = [];
  const key = (command: string, args: readonly string[]) => `${command} ${args.slice(0, 2).join(" ")}`;
  const runner: CommandRunner = {
    async interactive(command, args, env) {
      calls.push({ mode: "interactive", command, args, env });
      return codes[key(command, args)] ?? 0;
    },
    async capture(command, args, env) {
      calls.push({ mode: "capture", command, args, env });
      return { code: codes[key(command, args)] ?? 0, stdout, stderr: "" };
    },
  };
  return { calls, runner };
}

async function deploy(options: { stack?: string; env?: NodeJS.ProcessEnv; codes?: Partial<Record<string, number>>; stdout?: string; stats?: string } = {}) {
  const { calls, runner } = recordingRunner(options.codes, options.stdout);
  const lines: string[] = [];
  let error: unknown;
  try {
    await runDeploy({ stack: options.stack, env: options.env ?? { PATH: "/usr/bin" }, probe: allTools, runner, log: (l) => lines.push(l), stats: options.stats });
  } catch (e) {
    error = e;
  }
  return { calls, lines, error: error as UserError | undefined };
}

describe("npm run deploy without the Pulumi CLI or Docker (real script)", () => {
  const emptyBin = suiteServerDir("deploy-path");
  symlinkSync(process.execPath, path.join(emptyBin, "node"));
  afterAll(() => rmSync(emptyBin, { recursive: true, force: true }));

  it("exits 4 (not ready) with one message: what is missing, how to install, and that npm start works", async () => {
    const result = await runScript("deploy.ts", [], { PATH: emptyBin });
    expect(result.code).toBe(EXIT.notReady);
    expect(looksLikeCleanError(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(/the Pulumi CLI: 'pulumi' is not on PATH/);
    expect(result.stderr).toMatch(/get\.pulumi\.com/);
    expect(result.stderr).toMatch(/a Docker engine: 'docker' is not on PATH/);
    expect(result.stderr).toMatch(/docs\.docker\.com\/engine\/install/);
    expect(result.stderr).toMatch(/'npm start' runs everything .* embedded PostgreSQL 18/);
    expect(result.stderr.match(/^error: /gm)).toHaveLength(1);
  });

  it("--help and a bad --stack need no tools", async () => {
    const help = await runScript("deploy.ts", ["--help"], { PATH: emptyBin });
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toMatch(/--stack VALUE/);
    const bad = await runScript("deploy.ts", ["--stack", "--yes"], { PATH: emptyBin });
    expect(bad.code).toBe(EXIT.usage);
  });
});

describe("tool checks", () => {
  it("a docker CLI without an engine is reported with docker info's reason", async () => {
    const missing = await findMissingTools({ which: async (c) => (c === "docker" ? "/usr/bin/docker" : "/usr/bin/pulumi"), dockerInfo: async () => ({ ok: false, detail: "Cannot connect to the Docker daemon" }) });
    expect(missing).toEqual([expect.objectContaining({ what: "a Docker engine", problem: expect.stringMatching(/no engine answers .*Cannot connect/) })]);
    expect(await findMissingTools(allTools)).toEqual([]);
  });
});

describe("the deploy sequence", () => {
  it("pulumi up --yes, read outputs with secrets quietly, then migrate and verify with DATABASE_URL in the env only", async () => {
    const { calls, lines, error } = await deploy();
    expect(error).toBeUndefined();
    expect(calls.map((c) => [c.mode, c.command, ...c.args])).toEqual([
      ["interactive", "pulumi", "up", "--yes"],
      ["capture", "pulumi", "stack", "output", "--json", "--show-secrets"],
      ["interactive", "npm", "run", "migrate"],
      ["interactive", "npm", "run", "verify"],
    ]);
    for (const c of calls.slice(2)) expect(c.env.DATABASE_URL).toBe(OUTPUTS.migrationUrl);
    for (const c of calls.slice(0, 2)) expect(c.env.DATABASE_URL).toBeUndefined();
    expect(JSON.stringify(calls.map((c) => c.args))).not.toContain(SECRET_PW);
    expect(lines.join("\n")).not.toContain(SECRET_PW);
    expect(lines.join("\n")).toMatch(/127\.0\.0\.1:55432, database bollalabz; using postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:55432\/bollalabz/);
  });

  it("--stats: migrate and verify the embedded server as the statistics twin first; a failing twin deploys nothing", async () => {
    const env = { PATH: "/usr/bin", DATABASE_URL: "postgres://someone@elsewhere/db" };
    const ok = await deploy({ stats: "prod-stats.json", env });
    expect(ok.error).toBeUndefined();
    expect(ok.calls.map((c) => [c.command, ...c.args].join(" "))).toEqual([
      "npm run migrate",
      "npm run verify -- --stats prod-stats.json",
      "pulumi up --yes",
      "pulumi stack output --json --show-secrets",
      "npm run migrate",
      "npm run verify",
    ]);
    for (const c of ok.calls.slice(0, 2)) expect(c.env.DATABASE_URL).toBe("");
    const failed = await deploy({ stats: "prod-stats.json", codes: { "npm run verify": EXIT.failed } });
    expect(failed.error!.exitCode).toBe(EXIT.failed);
    expect(failed.error!.message).toMatch(/failed on the statistics twin .*Nothing was deployed/);
    expect(failed.calls.map((c) => c.command)).not.toContain("pulumi");
  });

  it("respects --stack, else PULUMI_STACK, on every pulumi command", async () => {
    const flag = await deploy({ stack: "prod", env: { PULUMI_STACK: "dev" } });
    expect(flag.calls.filter((c) => c.command === "pulumi").map((c) => c.args.slice(-2))).toEqual([["--stack", "prod"], ["--stack", "prod"]]);
    const fromEnv = await deploy({ env: { PULUMI_STACK: "dev" } });
    expect(fromEnv.calls.filter((c) => c.command === "pulumi").map((c) => c.args.slice(-2))).toEqual([["--stack", "dev"], ["--stack", "dev"]]);
    expect(stackArgs(undefined)).toEqual([]);
    expect(() => stackArgs("--yes")).toThrow(/not valid/);
  });

  it("stops after a failed pulumi up (exit 5) without migrating", async () => {
    const { calls, error } = await deploy({ codes: { "pulumi up --yes": 255 } });
    expect(error).toBeInstanceOf(UserError);
    expect(error!.exitCode).toBe(EXIT.failed);
    expect(error!.message).toMatch(/'pulumi up' failed .*exit code 255.*Nothing was migrated/);
    expect(calls).toHaveLength(1);
  });

  it("a failing migrate keeps its documented exit code and skips verify", async () => {
    const { calls, error } = await deploy({ codes: { "npm run migrate": EXIT.unreachable } });
    expect(error!.exitCode).toBe(EXIT.unreachable);
    expect(error!.message).toMatch(/'npm run migrate' failed/);
    expect(error!.message).not.toContain(SECRET_PW);
    expect(calls.map((c) => c.args.join(" "))).not.toContain("run verify");
  });

  it("missing outputs are named, values never echoed", async () => {
    const { error } = await deploy({ stdout: JSON.stringify({ host: "127.0.0.1", appUrl: `postgres://u:${SECRET_PW}@h/db` }) });
    expect(error!.exitCode).toBe(EXIT.failed);
    expect(error!.message).toMatch(/'databaseName' is missing.*'migrationUrl' is missing.*'port' is missing/);
    expect(error!.message).not.toContain(SECRET_PW);
    expect(() => parseStackOutputs(`not json ${SECRET_PW}`, "dev")).toThrow(/did not print JSON/);
    expect(parseStackOutputs(JSON.stringify(OUTPUTS), "dev")).toMatchObject({ port: 55432, migrationUrl: OUTPUTS.migrationUrl, replicaAdminUrls: [] });
    expect(() => parseStackOutputs(JSON.stringify({ ...OUTPUTS, replicaAdminUrls: [`mysql://x:${SECRET_PW}@h/db`] }), "dev")).toThrow(/'replicaAdminUrls' is not a list of postgres:\/\/ URLs/);
  });

  it("with replicas: verify gets the stack's replica URLs in DATABASE_REPLICA_URLS (env only); without, an empty list overrides the shell's", async () => {
    const replicaAdminUrls = [55433, 55434].map((p) => `postgres://postgres:${SECRET_PW}@127.0.0.1:${p}/bollalabz`);
    const withReplicas = await deploy({ stdout: JSON.stringify({ ...OUTPUTS, replicaAdminUrls }), env: { PATH: "/usr/bin", DATABASE_REPLICA_URLS: "postgres://elsewhere/db" } });
    expect(withReplicas.error).toBeUndefined();
    const verify = withReplicas.calls.find((c) => c.args.join(" ") === "run verify")!;
    expect(verify.env.DATABASE_REPLICA_URLS).toBe(replicaAdminUrls.join(","));
    expect(withReplicas.lines.join("\n")).toContain("npm run verify (primary and 2 replicas)");
    expect(withReplicas.lines.join("\n")).not.toContain(SECRET_PW);
    expect(JSON.stringify(withReplicas.calls.map((c) => c.args))).not.toContain(SECRET_PW);
    const without = await deploy({ env: { PATH: "/usr/bin", DATABASE_REPLICA_URLS: "postgres://elsewhere/db" } });
    expect(without.calls.find((c) => c.args.join(" ") === "run verify")!.env.DATABASE_REPLICA_URLS).toBe("");
  });
});
