// PostgreSQL connection URLs for the stack outputs. The password makes every
// URL a secret: callers get an Output marked secret, never a plain string.
import * as pulumi from "@pulumi/pulumi";

export interface ConnectionParts {
  readonly user: pulumi.Input<string>;
  readonly password: pulumi.Input<string>;
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly database: pulumi.Input<string>;
}

/** `postgres://user:password@host:port/database`, user and password percent-encoded, IPv6 hosts bracketed. */
export function formatConnectionUrl(parts: { user: string; password: string; host: string; port: number; database: string }): string {
  const host = parts.host.includes(":") ? `[${parts.host}]` : parts.host;
  return `postgres://${encodeURIComponent(parts.user)}:${encodeURIComponent(parts.password)}@${host}:${parts.port}/${encodeURIComponent(parts.database)}`;
}

export function connectionUrl(parts: ConnectionParts): pulumi.Output<string> {
  return pulumi.secret(pulumi.all([parts.user, parts.password, parts.host, parts.port, parts.database]).apply(([user, password, host, port, database]) => formatConnectionUrl({ user, password, host, port, database })));
}
