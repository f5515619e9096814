// Builds the ResourceValidationArgs the policy server passes to a policy's
// validateResource, so tests can call the policies directly.
import type { ResourceValidationArgs } from "@pulumi/policy";

export class NotApplicable extends Error {}

/** Mirrors @pulumi/policy's server: isType compares the class's __pulumiType with the resource type. */
export function argsFor(type: string, props: Record<string, unknown>): ResourceValidationArgs {
  const isType = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type;
  return {
    type,
    props,
    urn: `urn:pulumi:dev::bollalabz-db::${type}::pg`,
    name: "pg",
    opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } } as never,
    stackTags: new Map(),
    isType: isType as ResourceValidationArgs["isType"],
    asType: ((cls: unknown) => (isType(cls) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

