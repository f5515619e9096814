// What the Pulumi tests share: the dev stack's committed config, the mocked
// engine that records every resource the program registers (state echoes the
// inputs), and reading what a mocked output or secret input holds.
import { readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { expect } from "vitest";
import { PROJECT_ROOT } from "../../src/base/project-paths.ts";

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider?: string;
}

/** Pulumi.dev.yaml's config (the committed, non-secret part of the dev stack). */
export function devStackConfig(): Record<string, string> {
  return (parse(readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, string> }).config;
}

// Pulumi's wire signature of a secret value: a secret input reaches the
// mocked engine wrapped in it (and so is stored encrypted in the state).
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
/** The value of a secret input; fails when the input was not marked secret. */
export const secretValue = (input: unknown) => {
  expect(input, "input is a secret").toMatchObject({ [SECRET_SIG]: SECRET_SIG_VALUE });
  return (input as { value: unknown }).value;
};

export const resolve = <T>(output: pulumi.Output<T>) => new Promise<T>((done) => output.apply(done));

/**
 * The dev stack's config plus `config` (the two passwords as secrets), and
 * mocks that push every registered resource onto `registered`; `extraState`
 * adds what the engine would compute (an image id, a random password).
 */
export async function mockDevStack(config: Record<string, string>, registered: Registered[], extraState: (type: string) => Record<string, unknown>): Promise<void> {
  pulumi.runtime.setAllConfig({ ...devStackConfig(), ...config }, ["bollalabz-db:postgresPassword", "bollalabz-db:appPassword"]);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...extraState(args.type) } };
      },
      call: (args) => args.inputs,
    },
    "bollalabz-db",
    "dev",
    false,
  );
}
