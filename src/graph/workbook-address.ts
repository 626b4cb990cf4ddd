import { describeValue } from "../options/read-option";

/** A workbook's driveItem address, checked and percent-encoded, ready to put in a URL. */
export interface WorkbookAddress {
  /** The encoded driveItem path without `/workbook`, e.g. `/drives/b%21x/items/01AB`. */
  readonly path: string;
  /** `id` when the item is named by id, `path` when by its path under a drive root. */
  readonly addressedBy: "id" | "path";
}

interface AddressForm {
  readonly pattern: RegExp;
  /** The path before the item part, with `{0}`, `{1}`… standing for the captured ids. */
  readonly prefix: string;
  readonly addressedBy: "id" | "path";
}

const ID = "([^/]+)";
const ITEM_PATH = "root:/(.+?):?";

/* Every documented driveItem form, plus Graph's `/workbooks/{id}` shortcut. */
const forms: readonly AddressForm[] = [
  item("/me/drive/items/ID", "/me/drive/items/{0}"),
  byPath("/me/drive/PATH", "/me/drive/root:/{0}:"),
  item("/drives/ID/items/ID", "/drives/{0}/items/{1}"),
  byPath("/drives/ID/PATH", "/drives/{0}/root:/{1}:"),
  item("/sites/ID/drive/items/ID", "/sites/{0}/drive/items/{1}"),
  item("/sites/ID/drives/ID/items/ID", "/sites/{0}/drives/{1}/items/{2}"),
  byPath("/sites/ID/drive/PATH", "/sites/{0}/drive/root:/{1}:"),
  byPath("/sites/ID/drives/ID/PATH", "/sites/{0}/drives/{1}/root:/{2}:"),
  item("/users/ID/drive/items/ID", "/users/{0}/drive/items/{1}"),
  byPath("/users/ID/drive/PATH", "/users/{0}/drive/root:/{1}:"),
  item("/groups/ID/drive/items/ID", "/groups/{0}/drive/items/{1}"),
  byPath("/groups/ID/drive/PATH", "/groups/{0}/drive/root:/{1}:"),
  item("/workbooks/ID", "/workbooks/{0}"),
];

function item(shape: string, template: string): AddressForm {
  return { pattern: compile(shape), prefix: template, addressedBy: "id" };
}

function byPath(shape: string, template: string): AddressForm {
  return { pattern: compile(shape), prefix: template, addressedBy: "path" };
}

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
    return { path: fill(form, parts, input, optionName), addressedBy: form.addressedBy };
  }

  throw new RangeError(
    `${optionName} ${describeValue(input)} is not a driveItem address. ${addressAdvice(trimmed)}`,
  );
}

const GRAPH_URL = /^\/?https?:\/\/[^/]*graph\.microsoft\.(com|us|de)\//i;
const VERSION_PREFIX = /^\/(v1\.0|beta)\//i;
const WEB_URL = /^\/?[a-z][a-z0-9+.-]*:\/\//i;

/* What to do instead, for the mistakes seen most: a Graph URL, a browser link. */
function addressAdvice(address: string): string {
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

function fill(form: AddressForm, parts: string[], input: string, optionName: string): string {
  const last = parts.length - 1;
  const encoded = parts.map((part, index) =>
    form.addressedBy === "path" && index === last
      ? encodeItemPath(part, input, optionName)
      : encodeId(part, input, optionName),
  );
  return form.prefix.replace(/\{(\d)\}/g, (_, index: string) => encoded[Number(index)] ?? "");
}

function encodeId(id: string, input: string, optionName: string): string {
  checkSegment(id, input, optionName);
  return encodeSegment(id);
}

function encodeItemPath(path: string, input: string, optionName: string): string {
  const segments = path.split("/");
  for (const segment of segments) checkSegment(segment, input, optionName);
  return segments.map(encodeSegment).join("/");
}

const PERCENT_ESCAPE = /%[0-9a-f]{2}/i;

function checkSegment(segment: string, input: string, optionName: string): void {
  const reason = unsafeReason(segment);
  if (reason) throw new RangeError(`${optionName} ${describeValue(input)} ${reason}`);
}

function unsafeReason(segment: string): string | null {
  if (segment.trim() === "") return "has an empty name in it.";
  if (segment === "." || segment === "..") return "has a '.' or '..' step in it.";
  if (hasForbiddenCharacter(segment)) {
    return (
      "contains '?', '#', '\\' or a control character, which this form cannot carry; " +
      "address the item by id instead."
    );
  }
  if (PERCENT_ESCAPE.test(segment)) {
    return "looks percent-encoded; pass names as they are and the store encodes them.";
  }
  return null;
}

function hasForbiddenCharacter(segment: string): boolean {
  for (const char of segment) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || char === "?" || char === "#" || char === "\\") return true;
  }
  return false;
}

/* Ids such as SharePoint site ids keep their commas; everything else is escaped. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replaceAll("%2C", ",").replaceAll("%40", "@");
}
