/** The workbook a request path names, and what the path asks of it. */
export interface RequestedWorkbook {
  /** API version segment in lower case: `v1.0` or `beta`. */
  readonly version: string;
  /** The driveItem part of the path as received (still encoded), e.g. `me/drive/items/X`. */
  readonly address: string;
  /** Identity of the workbook: `item:{id}` or `path:{decoded path}`. */
  readonly key: string;
  /** Decoded path segments after `/workbook`. */
  readonly rest: readonly string[];
}

interface Position {
  readonly key: string;
  readonly next: number;
}

const VERSIONS = new Set(["v1.0", "beta"]);

/**
 * Parses `/{version}/{driveItem address}/workbook/…`, accepting every documented driveItem form
 * (item id or `root:/path:` under `me`, `drives`, `users`, `groups`, `sites`) and
 * `/workbooks/{id}`.
 * Structural segments compare case-insensitively; returns `undefined` for anything else.
 */
export function parseRequestPath(pathname: string): RequestedWorkbook | undefined {
  const segments = pathname.split("/").filter((segment) => segment !== "");
  const version = segments[0]?.toLowerCase();
  if (version === undefined || !VERSIONS.has(version)) return undefined;

  const item = parseItem(segments, 1);
  if (item === undefined || !is(segments[item.next], "workbook")) return undefined;

  const rest = segments.slice(item.next + 1).map(decode);
  if (rest.some((segment) => segment === undefined)) return undefined;
  const address = segments.slice(1, item.next).join("/");
  return { version, address, key: item.key, rest: rest as string[] };
}

function parseItem(segments: readonly string[], start: number): Position | undefined {
  if (is(segments[start], "workbooks")) return itemId(segments, start + 1);

  const drive = parseDrive(segments, start);
  if (drive === undefined) return undefined;
  if (is(segments[drive], "items")) return itemId(segments, drive + 1);
  return rootPath(segments, drive);
}

/** Returns the index just after the drive part (`me/drive`, `drives/{d}`, `sites/{s}/drive`…). */
function parseDrive(segments: readonly string[], start: number): number | undefined {
  const first = segments[start]?.toLowerCase();
  if (first === "drive") return start + 1;
  if (first === "drives") return segments[start + 1] ? start + 2 : undefined;
  if (first === "me") return driveOf(segments, start + 1);

  const hasOwner = ["users", "groups", "sites"].includes(first ?? "") && segments[start + 1];
  return hasOwner ? driveOf(segments, start + 2) : undefined;
}

function driveOf(segments: readonly string[], start: number): number | undefined {
  if (is(segments[start], "drive")) return start + 1;
  if (is(segments[start], "drives") && segments[start + 1]) return start + 2;
  return undefined;
}

function itemId(segments: readonly string[], index: number): Position | undefined {
  const raw = segments[index];
  const id = raw === undefined ? undefined : decode(raw);
  return id ? { key: `item:${id}`, next: index + 1 } : undefined;
}

/**
 * Reads `root:/folder/Book.xlsx:`; the path spans segments until one ends with a colon, and its
 * slashes may also arrive percent-encoded inside a single segment.
 */
function rootPath(segments: readonly string[], start: number): Position | undefined {
  const head = decode(segments[start] ?? "");
  if (!head?.toLowerCase().startsWith("root:")) return undefined;

  let text = head.slice("root:".length);
  let index = start;
  while (!isClosedPath(text)) {
    index += 1;
    const next = segments[index] === undefined ? undefined : decode(segments[index] ?? "");
    if (next === undefined) return undefined;
    text += `/${next}`;
  }
  return { key: `path:${text.slice(0, -1).replace(/^\/+/, "")}`, next: index + 1 };
}

function isClosedPath(text: string): boolean {
  return text.endsWith(":") && text.replace(/^\/+/, "").length > 1;
}

function is(segment: string | undefined, word: string): boolean {
  return segment?.toLowerCase() === word;
}

/** Percent-decodes one segment, or returns `undefined` when the encoding is broken. */
function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
