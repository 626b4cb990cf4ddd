import { describeValue } from "../options/read-option";
import { hasControlCharacter } from "./client-path";

/** A workbook's driveItem address, checked and percent-encoded, ready to put in a URL. */
export interface WorkbookAddress {
  /** The encoded driveItem path without `/workbook`, e.g. `/drives/b%21x/items/01AB`. */
  readonly path: string;
  /** `id` when the item is named by id, `path` when by its path under a drive root. */
  readonly addressedBy: "id" | "path";
}

/*
 * Addresses are written as shapes: `ID` stands for an id and `PATH` for an item's path under
 * the drive root, written `root:/{path}:`. A shape with its placeholders filled in is also
 * the encoded address.
 */

/* The drives Graph documents; the items in each are addressed by id or by path. */
const drives = [
  "/me/drive",
  "/drives/ID",
  "/sites/ID/drive",
  "/sites/ID/drives/ID",
  "/users/ID/drive",
  "/groups/ID/drive",
];

/* Every documented driveItem form, plus Graph's `/workbooks/{id}` shortcut. */
const shapes = [
  ...drives.flatMap((drive) => [`${drive}/items/ID`, `${drive}/PATH`]),
  "/workbooks/ID",
];

const PLACEHOLDER = /ID|PATH/g;
const ID = "([^/]+)";
const ITEM_PATH = "root:/(.+?):?";

const forms = shapes.map((shape) => ({ shape, pattern: compile(shape) }));

function compile(shape: string): RegExp {
  const source = shape.replaceAll("ID", ID).replace("PATH", ITEM_PATH);
  return new RegExp(`^${source}$`, "i");
}

/**
 * Reads a workbook address as a user writes it (names unencoded, e.g.
 * `/me/drive/root:/Budgets/Q1 2026.xlsx:`) and returns it encoded. Throws a
 * `TypeError` for a value that is not a string and a `RangeError` for an
 * address that matches no driveItem form or has a part that could change which
 * resource the URL names (`..`, `?`, `#`, control characters, backslashes, or
 * text that is already percent-encoded).
 */
export function parseWorkbookAddress(input: unknown, optionName = "workbook"): WorkbookAddress {
  if (typeof input !== "string") {
    throw new TypeError(
      `${optionName} must be a string driveItem address, got ${describeValue(input)}.`,
    );
  }
  const trimmed = trimAddress(input);

  for (const form of forms) {
    const match = form.pattern.exec(trimmed);
    if (!match) continue;
    const parts = match.slice(1).map((part) => part ?? "");
    return {
      path: fill(form.shape, parts, input, optionName),
      addressedBy: form.shape.endsWith("PATH") ? "path" : "id",
    };
  }

  throw new RangeError(
    `${optionName} ${describeValue(input)} is not a driveItem address. ${addressAdvice(trimmed)}`,
  );
}

const GRAPH_URL = /^\/?https?:\/\/[^/]*graph\.microsoft\.(com|us|de)\//i;
const VERSION_PREFIX = /^\/(v1\.0|beta)\//i;
const WEB_URL = /^\/?[a-z][a-z0-9+.-]*:\/\//i;

/* What to do instead, for the mistakes seen most: a Graph URL, a browser link, a `..` step. */
function addressAdvice(address: string): string {
  if (address.split("/").some((segment) => segment === "." || segment === "..")) {
    return "It has a '.' or '..' step in it, which would lead out of the item; name the item without it.";
  }
  if (GRAPH_URL.test(address) || VERSION_PREFIX.test(address)) {
    return (
      "Leave out the Graph host and version: pass the part after /v1.0, " +
      "such as /me/drive/items/{item-id}."
    );
  }
  if (WEB_URL.test(address)) {
    return (
      "A link from the browser is not one: ask Graph for the item with " +
      "GET /shares/{sharing-id}/driveItem (the sharing id is u! followed by the link in " +
      "unpadded base64url), then pass /drives/{parentReference.driveId}/items/{id}."
    );
  }
  return (
    "Use a form such as /me/drive/items/{item-id}, /drives/{drive-id}/items/{item-id}, " +
    "/me/drive/root:/{path}: or /workbooks/{id}."
  );
}

/** Accepts a missing leading slash, a trailing slash and a trailing `/workbook`. */
function trimAddress(input: string): string {
  let address = input.trim().replace(/\/+$/, "");
  if (!address.startsWith("/")) address = `/${address}`;
  return address.replace(/\/workbook$/i, "");
}

/** Puts the encoded parts in place of the shape's placeholders, in order. */
function fill(shape: string, parts: string[], input: string, optionName: string): string {
  let index = 0;
  return shape.replace(PLACEHOLDER, (placeholder) => {
    const isPath = placeholder === "PATH";
    const encoded = encodePart(parts[index++] ?? "", isPath, input, optionName);
    return isPath ? `root:/${encoded}:` : encoded;
  });
}

/** Checks and encodes an id (one segment) or an item path (segments joined by `/`). */
function encodePart(part: string, isPath: boolean, input: string, optionName: string): string {
  const segments = part.split("/");
  for (const segment of segments) checkSegment(segment, isPath, input, optionName);
  return segments.map(encodeSegment).join("/");
}

const PERCENT_ESCAPE = /%[0-9a-f]{2}/i;

function checkSegment(segment: string, isPath: boolean, input: string, optionName: string): void {
  const reason = unsafeReason(segment, isPath);
  if (reason) throw new RangeError(`${optionName} ${describeValue(input)} ${reason}`);
}

function unsafeReason(segment: string, isPath: boolean): string | null {
  if (segment.trim() === "") {
    return "has an empty name in it (two slashes in a row, or only spaces); remove it.";
  }
  if (segment === "." || segment === "..") {
    return "has a '.' or '..' step in it, which would lead out of the item; name the item without it.";
  }
  if (hasControlCharacter(segment) || /[?#\\]/.test(segment)) {
    return isPath
      ? "contains '?', '#', '\\' or a control character, which this form cannot carry; " +
          "address the item by id instead."
      : "contains '?', '#', '\\' or a control character; pass the item's address alone, " +
          "without a query or fragment.";
  }
  if (PERCENT_ESCAPE.test(segment)) {
    return "looks percent-encoded; pass names as they are and the store encodes them.";
  }
  return null;
}

/* Ids such as SharePoint site ids keep their commas; everything else is escaped. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replaceAll("%2C", ",").replaceAll("%40", "@");
}
