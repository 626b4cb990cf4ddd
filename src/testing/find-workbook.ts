import { describeValue } from "../options/read-option";
import { parseRequestPath } from "./request-path";
import { WorkbookData } from "./workbook-data";
import type { WorkbookStore } from "./workbook-store";
import type { WorkbookView } from "./workbook-view";

const KEY_FORMS =
  '"item:{id}" (for an …/items/{id} or /workbooks/{id} address) or "path:{path}" ' +
  '(for a …/root:/{path}: address, e.g. "path:folder/Book.xlsx")';

/** Most keys an error message lists. */
const LISTED_KEYS = 5;

/** What every workbook key looks like: `item:` or `path:`, then at least one character. */
const KEY_FORM = /^(item|path):./;

/**
 * The stored workbook with this key. A well-formed key no request has addressed reads as an
 * empty workbook, which is what its first request would meet, so a test can check that nothing
 * reached it. Any other text is refused: a driveItem address or a bare id would otherwise read as
 * that same empty workbook, hiding the mistake.
 */
export function findWorkbook(store: WorkbookStore, key: unknown): WorkbookView {
  if (typeof key !== "string") {
    throw new TypeError(
      `A workbook key must be a string, ${KEY_FORMS}, got ${describeValue(key)}.`,
    );
  }
  if (KEY_FORM.test(key)) return store.find(key) ?? new WorkbookData();

  throw new RangeError(
    `${describeValue(key)} is not a workbook key${addressHint(key)}. ` +
      `Workbook keys are ${KEY_FORMS}; requests so far have addressed ${listKeys(store.keys())}.`,
  );
}

function addressHint(text: string): string {
  const key = keyOfAddress(text);
  return key === undefined ? "" : `: it is a driveItem address, whose key is ${describeValue(key)}`;
}

/** The key of a driveItem address such as `/me/drive/items/X` or a Graph URL, if it is one. */
function keyOfAddress(text: string): string | undefined {
  const address = text
    .replace(/^https?:\/\/[^/]+/i, "")
    .replace(/^\/*(v1\.0|beta)\//i, "")
    .replace(/\/+(workbook\/*)?$/i, "")
    .replace(/^\/+/, "");
  return parseRequestPath(`/v1.0/${address}/workbook`)?.key;
}

function listKeys(keys: readonly string[]): string {
  if (keys.length === 0) return "none";
  const listed = keys.slice(0, LISTED_KEYS).map((key) => describeValue(key));
  const more = keys.length - listed.length;
  return more > 0 ? `${listed.join(", ")} and ${more} more` : listed.join(", ");
}
