// Stack config validation (infra/stack-config.ts): every problem at once, each
// naming its key and the fix; secrets never echoed.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { serverSetting } from "../src/settings/server-settings.ts";
import { DEFAULT_IMAGE, InfraConfigError, MAX_REPLICAS, dataPathFor, imageMajorVersion, loadInfraConfig, validateInfraConfig } from "../infra/stack-config.ts";

const secrets = { postgresPassword: "superuser-password-1", appPassword: "app-role-password-1" };

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InfraConfigError);
    // A RunError: Pulumi prints the message without a stack trace.
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    return (error as InfraConfigError).problems;
  }
  throw new Error("expected an InfraConfigError");
}

describe("stack config", () => {
  it("defaults: pinned postgres 18 image, loopback bind, no network opt-in", () => {
    const config = validateInfraConfig(secrets);
    expect(config).toEqual({
      image: DEFAULT_IMAGE,
      majorVersion: 18,
      hostPort: 55432,
      bindAddress: "127.0.0.1",
      allowNetworkBind: false,
      containerName: "bollalabz-db-postgres",
      databaseName: "bollalabz",
      appRole: "bollalabz_app",
      replicas: 0,
      replicationRole: "bollalabz_replicator",
    });
    expect(DEFAULT_IMAGE).toMatch(/^postgres:18\.\d+$/);
  });

  it("lists every problem at once, each naming its key, without echoing a secret", () => {
    const problems = problemsOf(() =>
      validateInfraConfig({ appPassword: "short-pw", hostPort: "70000", bindAddress: "0.0.0.0", image: "postgres:latest", databaseName: "Bad-Name", appRole: "postgres" }),
    );
    const text = problems.join("\n");
    expect(problems).toHaveLength(7);
    expect(text).toMatch(/'bollalabz-db:postgresPassword' is required .*pulumi config set --secret bollalabz-db:postgresPassword/);
    expect(text).toMatch(/'bollalabz-db:appPassword' is 8 characters; use at least 12/);
    expect(text).toMatch(/'bollalabz-db:hostPort' is '70000'; expected a port number from 1 to 65535/);
    expect(text).toMatch(/'bollalabz-db:bindAddress' is '0\.0\.0\.0'.*pulumi config set bollalabz-db:allowNetworkBind true/);
    expect(text).toMatch(/'bollalabz-db:image' is 'postgres:latest'/);
    expect(text).toMatch(/'bollalabz-db:databaseName' is 'Bad-Name'/);
    expect(text).toMatch(/'bollalabz-db:appRole' is 'postgres'/);
    expect(text).not.toContain("short-pw");
  });

  it.each([
    [{ hostPort: "0" }, /hostPort/],
    [{ hostPort: "5432x" }, /hostPort/],
    [{ bindAddress: "::" }, /'::', which publishes PostgreSQL beyond this machine/],
    [{ bindAddress: "192.168.1.20" }, /beyond this machine/],
    [{ bindAddress: "localhost" }, /expected an IP address/],
    [{ image: "postgres:14.12" }, /PostgreSQL 14\); bollalabz-db needs 15 or newer/],
    [{ image: "postgres" }, /needs a tag/],
    [{ containerName: "-bad" }, /containerName/],
    [{ allowNetworkBind: "yes" }, /allowNetworkBind.*expected true or false/],
    [{ appPassword: secrets.postgresPassword }, /appPassword' must differ/],
  ])("rejects %j", (override, message) => {
    const problems = problemsOf(() => validateInfraConfig({ ...secrets, ...override }));
    expect(problems.join("\n")).toMatch(message);
  });

  it("replicas: a whole number up to what max_wal_senders / max_replication_slots leave room for, ports inside 65535", () => {
    expect(MAX_REPLICAS).toBe(Math.min(Number(serverSetting("max_wal_senders")) - 2, Number(serverSetting("max_replication_slots")) - 1));
    expect(MAX_REPLICAS).toBeGreaterThanOrEqual(2);
    expect(validateInfraConfig({ ...secrets, replicas: "2" })).toMatchObject({ replicas: 2, replicationRole: "bollalabz_replicator" });
    expect(validateInfraConfig({ ...secrets, replicas: String(MAX_REPLICAS) }).replicas).toBe(MAX_REPLICAS);
    const problems = problemsOf(() =>
      validateInfraConfig({ ...secrets, replicas: String(MAX_REPLICAS + 1), replicationRole: "bollalabz_app" }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(new RegExp(`'bollalabz-db:replicas' is '${MAX_REPLICAS + 1}'; expected a whole number from 0 to ${MAX_REPLICAS}.*pulumi config set bollalabz-db:replicas 2`));
    expect(problems[1]).toMatch(/'bollalabz-db:replicationRole' is 'bollalabz_app'; it must be a role of its own/);
    for (const bad of ["-1", "two", "1.5"]) expect(problemsOf(() => validateInfraConfig({ ...secrets, replicas: bad })).join("\n")).toMatch(/'bollalabz-db:replicas' is/);
    expect(problemsOf(() => validateInfraConfig({ ...secrets, hostPort: "65534", replicas: "2" })).join("\n")).toMatch(/replica ports hostPort \+ 1 \.\. hostPort \+ 2 would pass 65535/);
    // An invalid hostPort is reported once, not again through the replica ports.
    expect(problemsOf(() => validateInfraConfig({ ...secrets, hostPort: "70000", replicas: "2" }))).toHaveLength(1);
    expect(problemsOf(() => validateInfraConfig({ ...secrets, replicationRole: "pg_repl" })).join("\n")).toMatch(/replicationRole/);
  });

  it("accepts a non-loopback bind only with the explicit opt-in", () => {
    expect(validateInfraConfig({ ...secrets, bindAddress: "0.0.0.0", allowNetworkBind: "true" })).toMatchObject({ bindAddress: "0.0.0.0", allowNetworkBind: true });
    expect(validateInfraConfig({ ...secrets, bindAddress: "::1" }).bindAddress).toBe("::1");
    expect(validateInfraConfig({ ...secrets, bindAddress: "127.0.0.2" }).bindAddress).toBe("127.0.0.2");
  });

  it("parses the major version from image references and picks the data path", () => {
    expect(imageMajorVersion("postgres:17.10")).toBe(17);
    expect(imageMajorVersion("postgres:18-trixie")).toBe(18);
    expect(imageMajorVersion("registry.example.com:5000/library/postgres:16.4-alpine@sha256:" + "a".repeat(64))).toBe(16);
    expect(imageMajorVersion("registry.example.com:5000/postgres")).toBeUndefined();
    expect(dataPathFor(17)).toBe("/var/lib/postgresql/data");
    expect(dataPathFor(18)).toBe("/var/lib/postgresql");
  });

  it("loadInfraConfig reads the stack's config, flags unknown keys and returns the passwords as secrets", async () => {
    pulumi.runtime.setAllConfig({ "bollalabz-db:hostport": "1234" }, []);
    const problems = problemsOf(() => loadInfraConfig());
    expect(problems.join("\n")).toMatch(/'bollalabz-db:hostport' is not a setting of this program \(did you mean 'bollalabz-db:hostPort'\?\)/);
    expect(problems.join("\n")).toMatch(/postgresPassword' is required/);
    expect(problems.join("\n")).toMatch(/appPassword' is required/);

    pulumi.runtime.setAllConfig(
      { "bollalabz-db:postgresPassword": secrets.postgresPassword, "bollalabz-db:appPassword": secrets.appPassword, "bollalabz-db:hostPort": "6543" },
      ["bollalabz-db:postgresPassword", "bollalabz-db:appPassword"],
    );
    const config = loadInfraConfig();
    expect(config.hostPort).toBe(6543);
    expect(await pulumi.isSecret(config.postgresPassword)).toBe(true);
    expect(await pulumi.isSecret(config.appPassword)).toBe(true);
  });
});
