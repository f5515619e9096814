// npm run deploy: provision with Pulumi, then migrate and verify the new
// database: the spec's whole flow in one command. Secrets travel only in the
// child processes' environment (DATABASE_URL), never in argv or output.
import { $ } from "zx";
import { EXIT, UserError, type ExitCode } from "../base/errors.ts";
import { maskUrl } from "../db/index.ts";
import { describeMissingTools, findMissingTools, systemProbe, type ToolProbe } from "./tools.ts";
import { parseStackOutputs } from "./stack-outputs.ts";
import { REPLICA_URLS_ENV } from "../replication/targets.ts";

export interface CommandRunner {
  /** Run with the terminal attached (the user sees progress); resolves to the exit code. */
  interactive(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number>;
  /** Run quietly; the output is returned, never printed. */
  capture(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }>;
}

export const zxRunner: CommandRunner = {
  async interactive(command, args, env) {
    const result = await $({ stdio: "inherit", nothrow: true, env })`${command} ${args}`;
    return result.exitCode ?? EXIT.internal;
  },
  async capture(command, args, env) {
    const result = await $({ quiet: true, nothrow: true, env })`${command} ${args}`;
    return { code: result.exitCode ?? EXIT.internal, stdout: result.stdout, stderr: result.stderr };
  },
};

export interface DeployOptions {
  /** --stack, else PULUMI_STACK, else Pulumi's selected stack. */
  readonly stack?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly probe?: ToolProbe;
  readonly runner?: CommandRunner;
  readonly log?: (line: string) => void;
  /**
   * --stats FILE (a stats:export of production): before anything is
   * provisioned or migrated there, migrate the embedded server and verify it
   * as production's statistics twin; a failure deploys nothing.
   */
  readonly stats?: string;
}

/** The stack flag for every pulumi command; rejects names that would read as flags. */
export function stackArgs(stack: string | undefined): string[] {
  if (stack === undefined || stack === "") return [];
  if (!/^[A-Za-z0-9][\w.\-/]*$/.test(stack)) {
    throw new UserError(`Stack name '${stack}' is not valid: use letters, digits, '-', '_', '.', '/' (e.g. --stack dev or PULUMI_STACK=dev).`, EXIT.usage);
  }
  return ["--stack", stack];
}

const KNOWN_EXIT_CODES = new Set<number>(Object.values(EXIT));

export async function runDeploy(options: DeployOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const runner = options.runner ?? zxRunner;
  const stack = options.stack || env.PULUMI_STACK || undefined;
  const selectStack = stackArgs(stack);
  const stackName = stack ? `'${stack}'` : "(the selected stack)";

  const missing = await findMissingTools(options.probe ?? systemProbe(env));
  if (missing.length > 0) throw new UserError(describeMissingTools(missing), EXIT.notReady);

  if (options.stats !== undefined) {
    // The twin is the embedded server (its databases carry the development
    // mark): DATABASE_URL and replica URLs of the caller's shell are left out.
    const twinEnv: NodeJS.ProcessEnv = { ...env, DATABASE_URL: "", [REPLICA_URLS_ENV]: "" };
    for (const [script, args] of [["migrate", []], ["verify", ["--", "--stats", options.stats]]] as const) {
      log(`deploy: before deploying, npm run ${script} on the embedded server${script === "verify" ? ` as the statistics twin of ${options.stats}` : ""}`);
      const code = await runner.interactive("npm", ["run", script, ...args], twinEnv);
      if (code !== 0) {
        const exitCode = (KNOWN_EXIT_CODES.has(code) ? code : EXIT.failed) as ExitCode;
        throw new UserError(`'npm run ${script}' failed on the statistics twin (exit code ${code}); its output above says why. Nothing was deployed: fix the migration, or re-run it with: npm run migrate && npm run verify -- --stats ${options.stats}`, exitCode);
      }
    }
  }

  log(`deploy: pulumi up on stack ${stackName}`);
  const upCode = await runner.interactive("pulumi", ["up", "--yes", ...selectStack], env);
  if (upCode !== 0) {
    throw new UserError(`'pulumi up' failed on stack ${stackName} (exit code ${upCode}); its output above says why. Nothing was migrated.`, EXIT.failed);
  }

  const read = await runner.capture("pulumi", ["stack", "output", "--json", "--show-secrets", ...selectStack], env);
  if (read.code !== 0) {
    throw new UserError(`'pulumi stack output' failed on stack ${stackName} (exit code ${read.code}): ${read.stderr.trim().split("\n")[0] ?? ""}`, EXIT.failed);
  }
  const outputs = parseStackOutputs(read.stdout, stackName);
  log(`deploy: PostgreSQL is up at ${outputs.host}:${outputs.port}, database ${outputs.databaseName}; using ${maskUrl(outputs.migrationUrl)}`);

  const childEnv: NodeJS.ProcessEnv = { ...env, DATABASE_URL: outputs.migrationUrl };
  // verify grades the stack's replicas too (none: an empty list, so replica
  // URLs inherited from the caller's shell never get graded against this stack).
  const verifyEnv: NodeJS.ProcessEnv = { ...childEnv, [REPLICA_URLS_ENV]: outputs.replicaAdminUrls.join(",") };
  for (const script of ["migrate", "verify"]) {
    const replicas = script === "verify" && outputs.replicaAdminUrls.length > 0 ? ` (primary and ${outputs.replicaAdminUrls.length} replica${outputs.replicaAdminUrls.length === 1 ? "" : "s"})` : "";
    log(`deploy: npm run ${script}${replicas}`);
    const code = await runner.interactive("npm", ["run", script], script === "verify" ? verifyEnv : childEnv);
    if (code !== 0) {
      const exitCode = (KNOWN_EXIT_CODES.has(code) ? code : EXIT.failed) as ExitCode;
      throw new UserError(`'npm run ${script}' failed against stack ${stackName} (exit code ${code}); its output above says why. Re-run with: export DATABASE_URL="$(pulumi stack output migrationUrl --show-secrets)" && npm run ${script}`, exitCode);
    }
  }
  log(`deploy: done. Point other commands at it: export DATABASE_URL="$(pulumi stack output migrationUrl --show-secrets${stack ? ` --stack ${stack}` : ""})"`);
}
