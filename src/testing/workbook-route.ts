import type { RouteName } from "./route-name";

/** A recognised workbook route together with the values its URL carries. */
export type WorkbookRoute =
  | { readonly name: "createSession" | "refreshSession" | "closeSession" | "worksheets" }
  | { readonly name: "operation"; readonly operationId: string }
  | { readonly name: "sessionInfo"; readonly key: string }
  | { readonly name: "range"; readonly sheet: string; readonly address: string }
  | { readonly name: "tableRows" | "addRow"; readonly table: string };

/** HTTP methods each route answers; other methods get 405. */
export const ROUTE_METHODS: Readonly<Record<RouteName, readonly string[]>> = {
  createSession: ["POST"],
  refreshSession: ["POST"],
  closeSession: ["POST"],
  operation: ["GET"],
  sessionInfo: ["GET"],
  worksheets: ["GET"],
  range: ["GET", "PATCH"],
  tableRows: ["GET"],
  addRow: ["POST"],
};

interface Call {
  readonly name: string;
  readonly argument: string | undefined;
}

const ACTIONS: Readonly<Record<string, WorkbookRoute>> = {
  createsession: { name: "createSession" },
  refreshsession: { name: "refreshSession" },
  closesession: { name: "closeSession" },
  worksheets: { name: "worksheets" },
};

/**
 * Matches the decoded segments after `/workbook` against the emulator's routes. Names compare
 * case-insensitively, and a key may be given either OData style (`tables('T')`) or as the next
 * segment (`tables/T`).
 */
export function matchWorkbookRoute(
  rest: readonly string[],
  method: string,
): WorkbookRoute | undefined {
  const calls = toCalls(rest);
  if (calls === undefined || calls.length === 0) return undefined;

  const [head, ...tail] = calls;
  if (head === undefined) return undefined;
  if (tail.length === 0 && head.argument === undefined) return ACTIONS[head.name];
  if (head.argument === undefined) return undefined;
  return matchKeyed(head.name, head.argument, tail, method);
}

function matchKeyed(
  name: string,
  argument: string,
  tail: readonly Call[],
  method: string,
): WorkbookRoute | undefined {
  const words = tail.map((call) => (call.argument === undefined ? call.name : "?")).join("/");
  switch (name) {
    case "operations":
      return words === "" ? { name: "operation", operationId: argument } : undefined;
    case "sessioninforesource":
      return words === "" ? { name: "sessionInfo", key: argument } : undefined;
    case "worksheets":
      return matchRange(argument, tail);
    case "tables":
      return matchRows(argument, words, method);
    default:
      return undefined;
  }
}

function matchRange(sheet: string, tail: readonly Call[]): WorkbookRoute | undefined {
  const [call, extra] = tail;
  const address = call?.name === "range" && extra === undefined ? call.argument : undefined;
  return address === undefined ? undefined : { name: "range", sheet, address };
}

function matchRows(table: string, words: string, method: string): WorkbookRoute | undefined {
  if (words === "rows/add") return { name: "addRow", table };
  if (words !== "rows") return undefined;
  return { name: method === "POST" ? "addRow" : "tableRows", table };
}

/**
 * Turns segments into calls, folding a plain key segment (`worksheets/Sheet1`) into the call
 * before it so both spellings look the same.
 */
function toCalls(rest: readonly string[]): Call[] | undefined {
  const calls: Call[] = [];
  for (let index = 0; index < rest.length; index++) {
    const call = parseCall(rest[index] ?? "");
    if (call === undefined) return undefined;

    const key = rest[index + 1];
    if (takesKey(call, calls.length) && key !== undefined && !isAction(key)) {
      calls.push({ name: call.name, argument: key });
      index += 1;
    } else calls.push(call);
  }
  return calls;
}

const KEYED = new Set(["worksheets", "tables", "operations"]);

function takesKey(call: Call, position: number): boolean {
  return position === 0 && call.argument === undefined && KEYED.has(call.name);
}

function isAction(segment: string): boolean {
  return /^(range|rows)(\(|$)/i.test(segment);
}

const CALL = /^([A-Za-z]+)(?:\((.*)\))?$/s;
const ARGUMENT = /^(?:[A-Za-z]+=)?'((?:[^']|'')*)'$/s;

/** Parses `name` or `name(key='value')` / `name('value')` into a lower-case name and argument. */
function parseCall(segment: string): Call | undefined {
  const match = CALL.exec(segment);
  if (!match?.[1]) return undefined;
  if (match[2] === undefined) return { name: match[1].toLowerCase(), argument: undefined };

  const quoted = ARGUMENT.exec(match[2].trim());
  const bare = /^(?:[A-Za-z]+=)?([^'=]+)$/.exec(match[2].trim());
  const argument = quoted?.[1]?.replaceAll("''", "'") ?? bare?.[1];
  return argument === undefined ? undefined : { name: match[1].toLowerCase(), argument };
}
