// Flag parsing for the scripts: node's parseArgs, with its errors turned into
// one clear UserError that lists the accepted flags.
import { closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "./errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface CommandSpec<O extends Options> {
  /** e.g. "npm run seed --" */
  readonly usage: string;
  readonly options: O;
  /** One line per flag, shown with --help and on a usage error. */
  readonly help: Record<keyof O & string, string>;
}

export function formatHelp<O extends Options>(spec: CommandSpec<O>): string {
  const lines = Object.entries(spec.options).map(([name, opt]) => {
    const flag = `--${name}${opt.type === "string" ? " VALUE" : ""}`;
    return `  ${flag.padEnd(24)} ${spec.help[name as keyof O & string] ?? ""}`;
  });
  return `usage: ${spec.usage} [flags]\n${lines.join("\n")}`;
}

/**
 * parseFlags for a command's main(): prints the help and returns undefined
 * for --help (the command then returns), the values otherwise.
 */
export function commandFlags<O extends Options>(spec: CommandSpec<O>, argv: string[]) {
  const { values } = parseFlags(spec, argv);
  if (!values.help) return values;
  console.log(formatHelp(spec));
  return undefined;
}

/** Parse argv; an unknown flag or a missing value throws a UserError. `help` is always accepted. */
export function parseFlags<O extends Options>(spec: CommandSpec<O>, argv: string[] = process.argv.slice(2)) {
  const options = { ...spec.options, help: { type: "boolean" as const } };
  // `--scale -1` should reach our value check ("must be greater than 0"), not
  // parseArgs' "ambiguous argument": glue a negative number to its flag.
  const args = argv.flatMap((arg, i) => (/^-\d/.test(arg) && /^--[\w-]+$/.test(argv[i - 1] ?? "") ? [] : /^--[\w-]+$/.test(arg) && /^-\d/.test(argv[i + 1] ?? "") ? [`${arg}=${argv[i + 1]}`] : [arg]));
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: false });
    return { values: values as { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : O[K]["multiple"] extends true ? string[] : string } & { help?: boolean }, positionals };
  } catch (error) {
    const reason = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UserError(`${reason}\n${formatHelp(spec)}`);
  }
}

/** A positive number flag (e.g. --scale 0.5); rejects negatives, zero, NaN and trailing junk. */
export function positiveNumberFlag(name: string, raw: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new UserError(`--${name} must be a number greater than 0 and at most ${max}, got '${raw}'. Example: --${name} ${fallback}`);
  }
  return value;
}

/** A non-negative integer flag (e.g. --seed 42). */
export function integerFlag(name: string, raw: string | undefined, fallback: number, min = 0, max = 2 ** 31 - 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UserError(`--${name} must be an integer from ${min} to ${max}, got '${raw}'. Example: --${name} ${fallback}`);
  }
  return value;
}

/**
 * An output file flag (--json FILE, --markdown FILE), checked before any work
 * starts: its folder is created and the file opened for appending (which
 * changes nothing in an existing file), so a bad path is a usage error in the
 * first second, not a crash after minutes of measuring.
 */
export function outputFileFlag(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const file = path.resolve(raw);
  try {
    if (existsSync(file) && statSync(file).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    makeFolders(path.dirname(file));
    closeSync(openSync(file, "a"));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new UserError(`--${name} ${raw}: cannot write there (${e.code ?? e.message}). Give a file path in a writable folder, e.g. --${name} reports/out.${name === "markdown" ? "md" : "json"}`);
  }
  return file;
}

/** mkdir -p without { recursive: true }, which loops forever on some paths (e.g. under /proc) in Node 24. */
function makeFolders(folder: string): void {
  const missing: string[] = [];
  let current = folder;
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of missing) mkdirSync(dir);
}
