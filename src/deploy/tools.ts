// What `npm run deploy` needs on the machine: the Pulumi CLI and a Docker
// engine that answers. Each missing piece is reported with how to get it.
import { $, which } from "zx";

export interface MissingTool {
  readonly what: string;
  readonly problem: string;
  readonly fix: string;
}

export interface ToolProbe {
  /** Absolute path of an executable on PATH, or null. */
  which(command: string): Promise<string | null>;
  /** `docker info`: ok when an engine answers. */
  dockerInfo(): Promise<{ ok: boolean; detail: string }>;
}

export const PULUMI_INSTALL = "install the Pulumi CLI (curl -fsSL https://get.pulumi.com | sh, or see https://www.pulumi.com/docs/iac/download-install/), then run 'pulumi login --local'";
export const DOCKER_INSTALL = "install Docker Engine or Docker Desktop (https://docs.docker.com/engine/install/) and start it (e.g. 'sudo systemctl start docker'); 'docker info' must succeed";

export function systemProbe(env: NodeJS.ProcessEnv = process.env): ToolProbe {
  return {
    which: (command) => which(command, { nothrow: true, path: env.PATH ?? "" }),
    async dockerInfo() {
      const result = await $({ quiet: true, nothrow: true, timeout: "20s", env })`docker info --format {{.ServerVersion}}`;
      const detail = (result.exitCode === 0 ? result.stdout : result.stderr).trim().split("\n").find((l) => l.trim() !== "") ?? `exit code ${result.exitCode}`;
      return { ok: result.exitCode === 0, detail };
    },
  };
}

export async function findMissingTools(probe: ToolProbe): Promise<MissingTool[]> {
  const missing: MissingTool[] = [];
  if (!(await probe.which("pulumi"))) {
    missing.push({ what: "the Pulumi CLI", problem: "'pulumi' is not on PATH", fix: PULUMI_INSTALL });
  }
  if (!(await probe.which("docker"))) {
    missing.push({ what: "a Docker engine", problem: "'docker' is not on PATH", fix: DOCKER_INSTALL });
  } else {
    const info = await probe.dockerInfo();
    if (!info.ok) missing.push({ what: "a Docker engine", problem: `the docker CLI is installed but no engine answers ('docker info': ${info.detail})`, fix: DOCKER_INSTALL });
  }
  return missing;
}

export function describeMissingTools(missing: readonly MissingTool[]): string {
  return [
    "npm run deploy provisions PostgreSQL in Docker with Pulumi, and this machine lacks:",
    ...missing.map((m) => `  - ${m.what}: ${m.problem}. Fix: ${m.fix}.`),
    "Nothing was changed. Without Docker and Pulumi, 'npm start' runs everything (migrate, seed, summary) on the embedded PostgreSQL 18 default; no install needed.",
  ].join("\n");
}
