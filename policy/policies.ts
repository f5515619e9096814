// The policies, separate from the pack so tests can call their validate
// functions directly (constructing a PolicyPack starts a gRPC server).
import * as docker from "@pulumi/docker";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { isIP } from "node:net";
import { NETWORK_BIND_OPT_IN_LABEL } from "../infra/labels.ts";

export { NETWORK_BIND_OPT_IN_LABEL };

interface PortLike {
  readonly internal?: number;
  readonly external?: number;
  readonly ip?: string;
}
interface LabelLike {
  readonly label?: string;
  readonly value?: string;
}

/** Loopback addresses keep a published port on this machine; anything else (including no ip: Docker's 0.0.0.0) does not. */
export function isLoopbackBind(ip: string | undefined): boolean {
  if (ip === undefined || ip === "") return false;
  const bare = ip.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1" || bare === "0:0:0:0:0:0:0:1";
}

/** Published ports that reach beyond this machine, described for the violation message. */
export function networkExposedPorts(ports: readonly PortLike[] | undefined): string[] {
  return (ports ?? []).filter((p) => !isLoopbackBind(p.ip)).map((p) => `${p.ip ? (p.ip.includes(":") ? `[${p.ip}]` : p.ip) : "0.0.0.0 (no ip given)"}:${p.external ?? "<random>"} -> ${p.internal}`);
}

export function hasNetworkBindOptIn(labels: readonly LabelLike[] | undefined): boolean {
  return (labels ?? []).some((l) => l.label === NETWORK_BIND_OPT_IN_LABEL && l.value === "true");
}

export const noNetworkExposedPorts: ResourceValidationPolicy = {
  name: "postgres-port-loopback-only",
  description: "A docker Container may publish ports only on a loopback address (127.0.0.1, ::1) unless it carries the explicit network-bind opt-in label.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (container, _args, reportViolation) => {
    const exposed = networkExposedPorts(container.ports as PortLike[] | undefined);
    if (exposed.length === 0 || hasNetworkBindOptIn(container.labels as LabelLike[] | undefined)) return;
    reportViolation(
      `Container '${container.name ?? "<unnamed>"}' publishes ${exposed.join(", ")} to the network. ` +
        `Bind to 127.0.0.1 (pulumi config set bollalabz-db:bindAddress 127.0.0.1) or opt in explicitly (pulumi config set bollalabz-db:allowNetworkBind true), which labels the container ${NETWORK_BIND_OPT_IN_LABEL}=true.`,
    );
  }),
};

export const POLICIES = [noNetworkExposedPorts];
