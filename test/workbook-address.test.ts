import { parseWorkbookAddress, SessionStore } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import { useHarness } from "./support/harness";

describe("parseWorkbookAddress", () => {
  it.each([
    ["/me/drive/items/01ABC", "/me/drive/items/01ABC", "id"],
    ["me/drive/items/01ABC/workbook/", "/me/drive/items/01ABC", "id"],
    ["/drives/b!xYz/items/01ABC", "/drives/b!xYz/items/01ABC", "id"],
    [
      "/sites/contoso.sharepoint.com,1a2b,3c4d/drive/items/01ABC",
      "/sites/contoso.sharepoint.com,1a2b,3c4d/drive/items/01ABC",
      "id",
    ],
    ["/sites/s1/drives/d1/items/i1", "/sites/s1/drives/d1/items/i1", "id"],
    ["/users/ada@contoso.com/drive/items/i1", "/users/ada@contoso.com/drive/items/i1", "id"],
    ["/groups/g1/drive/items/i1", "/groups/g1/drive/items/i1", "id"],
    ["/workbooks/01ABC", "/workbooks/01ABC", "id"],
    ["/me/drive/root:/Q1 Budget.xlsx:", "/me/drive/root:/Q1%20Budget.xlsx:", "path"],
    ["/me/drive/root:/Reports/Q1.xlsx", "/me/drive/root:/Reports/Q1.xlsx:", "path"],
    ["/drives/d1/root:/a/b.xlsx:", "/drives/d1/root:/a/b.xlsx:", "path"],
    ["/sites/s1/drive/root:/a.xlsx:", "/sites/s1/drive/root:/a.xlsx:", "path"],
    ["/users/u1/drive/root:/a.xlsx:", "/users/u1/drive/root:/a.xlsx:", "path"],
    [
      "/groups/g1/drive/root:/Ünïcode & more.xlsx:",
      "/groups/g1/drive/root:/%C3%9Cn%C3%AFcode%20%26%20more.xlsx:",
      "path",
    ],
  ])("reads %s", (input, path, addressedBy) => {
    expect(parseWorkbookAddress(input)).toEqual({ path, addressedBy });
  });

  it.each([
    ["a parent step", "/me/drive/root:/a/../b.xlsx:"],
    ["a parent step as the id", "/me/drive/items/.."],
    ["a query", "/me/drive/items/abc?select=id"],
    ["a fragment", "/me/drive/items/abc#x"],
    ["a control character", "/me/drive/items/ab\u0000c"],
    ["a newline", "/me/drive/root:/a\n.xlsx:"],
    ["an encoded slash", "/me/drive/items/a%2Fb"],
    ["an encoded parent step", "/me/drive/root:/%2E%2E/a.xlsx:"],
    ["a backslash", "/me/drive/root:/a\\b.xlsx:"],
    ["an unknown form", "/me/drive/recent"],
    ["an empty path", "/me/drive/root::"],
    ["an empty string", ""],
  ])("refuses %s with a RangeError naming the value", (_, input) => {
    expect(() => parseWorkbookAddress(input)).toThrow(RangeError);
    expect(() => parseWorkbookAddress(input)).toThrow(/^workbook /);
  });

  it.each([
    [
      "https://graph.microsoft.com/v1.0/me/drive/items/01ABC",
      /Leave out the Graph host and version/,
    ],
    ["/v1.0/me/drive/items/01ABC", /Leave out the Graph host and version/],
    ["https://contoso.sharepoint.com/:x:/r/sites/team/Shared%20Documents/Book.xlsx", /shares/],
    ["/foo/bar", /Use a form such as/],
    ["/me/drive/items/01ABC?select=id", /the item's address alone, without a query/],
    ["/workbooks/01ABC#sheet", /the item's address alone, without a query/],
    ["/me/drive/root:/Reports?.xlsx", /address the item by id instead/],
    ["/me/drive/root:/Reports//Q1.xlsx", /empty name in it .*; remove it/],
    ["/me/drive/root:/Reports/../Q1.xlsx", /name the item without it/],
    ["/me/drive/items/01ABC/../x", /'\.\.' step in it/],
  ])("says what to pass instead of %s", (address, advice) => {
    expect(() => parseWorkbookAddress(address)).toThrow(advice);
  });

  it("refuses a value that is not a string with a TypeError", () => {
    expect(() => parseWorkbookAddress(42)).toThrow(TypeError);
  });
});

describe("every address form against the emulator", () => {
  const h = useHarness();

  it.each([
    "/me/drive/items/01ITEM",
    "/drives/d1/items/01ITEM",
    "/sites/s1/drive/items/01ITEM",
    "/sites/s1/drives/d1/items/01ITEM",
    "/users/u1/drive/items/01ITEM",
    "/groups/g1/drive/items/01ITEM",
    "/me/drive/root:/Folder/Book 1.xlsx:",
    "/drives/d1/root:/Folder/Book 1.xlsx:",
    "/sites/s1/drive/root:/Folder/Book 1.xlsx:",
    "/users/u1/drive/root:/Folder/Book 1.xlsx:",
    "/groups/g1/drive/root:/Folder/Book 1.xlsx:",
    "/workbooks/01ITEM",
  ])("creates, refreshes and closes through %s", async (workbook) => {
    const store = h.store({ workbook });

    const session = await store.open();
    await store.refresh();
    await store.close();

    const routes = h.emulator.requests.map((request) => [request.route, request.answeredWith]);
    expect(routes).toEqual([
      ["createSession", 201],
      ["refreshSession", 204],
      ["closeSession", 204],
    ]);
    for (const request of h.emulator.requests.slice(1)) expect(request.sessionId).toBe(session.id);
  });
});

describe("options", () => {
  const client = { api: () => undefined } as never;
  const make = (options: object) => () =>
    new SessionStore({ client, workbook: "/me/drive/items/1", ...options });

  it.each([
    [{ client: undefined }, TypeError, /client/],
    [{ workbook: 7 }, TypeError, /workbook/],
    [{ workbook: "/me/drive/items/a?b" }, RangeError, /workbook/],
    [{ persistChanges: "yes" }, TypeError, /persistChanges.*"yes"/],
    [{ attemptTimeout: -1 }, RangeError, /attemptTimeout.*-1/],
    [{ openTimeout: "1" }, TypeError, /openTimeout/],
    [{ retry: { retries: -1 } }, RangeError, /retry\.retries.*-1/],
    [{ retry: { baseDelay: Number.NaN } }, RangeError, /retry\.baseDelay/],
    [{ poll: { maxInterval: 300_000 } }, RangeError, /poll\.maxInterval.*300000/],
    [{ poll: { initialInterval: 5_000, maxInterval: 1_000 } }, RangeError, /poll\.initialInterval/],
    [{ respondAsync: 1 }, TypeError, /respondAsync/],
    [{ graphBaseUrl: "not a url" }, RangeError, /graphBaseUrl/],
    [{ scheduler: {} }, TypeError, /scheduler/],
    [{ random: 0.5 }, TypeError, /random/],
  ])("rejects %o at construction", (options, type, message) => {
    expect(make(options)).toThrow(type);
    expect(make(options)).toThrow(message);
  });
});
