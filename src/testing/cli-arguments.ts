import type { EmulatorOptions } from "./emulator-options";

/** What the command line asked for: help, a run with options, or nothing valid. */
export type CliRequest =
  | { readonly kind: "help" }
  | { readonly kind: "run"; readonly options: EmulatorOptions }
  | { readonly kind: "error"; readonly message: string };

/** Usage text of the emulator command. */
export const CLI_USAGE = `Usage: graph-workbook-emulator [options]   (in the repository: npm run emulator -- [options])

Starts a local Microsoft Graph workbook emulator.

Options:
  --port <n>     port to listen on (default 0: a free port)
  --host <addr>  loopback address to listen on (default 127.0.0.1)
  --token <t>    require "Authorization: Bearer <t>" on every request
  --async        answer createSession with 202 when "Prefer: respond-async" is sent
  --help         show this text`;

type Flag = "--port" | "--host" | "--token";

/** Parses the emulator command's arguments (`--name value` or `--name=value`). */
export function parseCliArguments(args: readonly string[]): CliRequest {
  const options: Record<string, unknown> = {};
  const queue = args.flatMap(splitEquals);
  while (queue.length > 0) {
    const arg = queue.shift() ?? "";
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    if (arg === "--async") options.asyncCreate = { mode: "async" };
    else if (isValueFlag(arg)) {
      const problem = applyValue(options, arg, queue.shift());
      if (problem) return { kind: "error", message: problem };
    } else return { kind: "error", message: `Unknown argument "${arg}".` };
  }
  return { kind: "run", options: options as EmulatorOptions };
}

function splitEquals(arg: string): string[] {
  const equals = arg.indexOf("=");
  return arg.startsWith("--") && equals > 0 ? [arg.slice(0, equals), arg.slice(equals + 1)] : [arg];
}

function isValueFlag(arg: string): arg is Flag {
  return arg === "--port" || arg === "--host" || arg === "--token";
}

function applyValue(options: Record<string, unknown>, flag: Flag, value: string | undefined) {
  if (value === undefined || value === "") return `${flag} needs a value.`;
  if (flag !== "--port") {
    options[flag === "--host" ? "host" : "requireToken"] = value;
    return undefined;
  }
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return `Invalid port "${value}".`;
  options.port = port;
  return undefined;
}
