import { GraphError } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import { useEmulator } from "./support/emulator-fixture";

const fixture = useEmulator();

const BOOK = "/me/drive/items/BOOK";
const RANGE = `${BOOK}/workbook/worksheets('Sheet1')/range(address='A1:B2')`;

function call(path: string, sessionId?: string) {
  const request = fixture.client.api(path);
  return sessionId === undefined ? request : request.header("workbook-session-id", sessionId);
}

async function create(persistChanges: boolean): Promise<string> {
  return (await fixture.client.api(`${BOOK}/workbook/createSession`).post({ persistChanges })).id;
}

async function failure(promise: Promise<unknown>): Promise<GraphError> {
  const outcome = await promise.then(
    () => new Error("expected the call to fail"),
    (error: unknown) => error,
  );
  if (outcome instanceof GraphError) return outcome;
  throw outcome;
}

describe("worksheets", () => {
  it("lists the default worksheet", async () => {
    const body = await call(`${BOOK}/workbook/worksheets`).get();

    expect(body.value).toEqual([
      expect.objectContaining({ name: "Sheet1", position: 0, visibility: "Visible" }),
    ]);
  });
});

describe("ranges", () => {
  it("reads empty cells as empty strings", async () => {
    const body = await call(RANGE).get();

    expect(body).toMatchObject({ address: "Sheet1!A1:B2", rowCount: 2, columnCount: 2 });
    expect(body.values).toEqual([
      ["", ""],
      ["", ""],
    ]);
  });

  it("writes values with PATCH and reads them back in either URL form", async () => {
    const written = await call(RANGE).patch({
      values: [
        [1, "two"],
        [true, 4.5],
      ],
    });
    const read = await call(`${BOOK}/workbook/worksheets/Sheet1/range(address='A1:C2')`).get();

    expect(written.values).toEqual([
      [1, "two"],
      [true, 4.5],
    ]);
    expect(read.values).toEqual([
      [1, "two", ""],
      [true, 4.5, ""],
    ]);
  });

  it("leaves cells written as null unchanged", async () => {
    await call(RANGE).patch({
      values: [
        ["a", "b"],
        ["c", "d"],
      ],
    });
    const body = await call(RANGE).patch({
      values: [
        [null, "B"],
        ["C", null],
      ],
    });

    expect(body.values).toEqual([
      ["a", "B"],
      ["C", "d"],
    ]);
  });

  it("accepts single cells, anchors, reversed corners and a sheet prefix", async () => {
    await call(`${BOOK}/workbook/worksheets('sheet1')/range(address='$C$3')`).patch({
      values: [[7]],
    });
    const body = await call(
      `${BOOK}/workbook/worksheets('Sheet1')/range(address='Sheet1!D4:B2')`,
    ).get();

    expect(body.address).toBe("Sheet1!B2:D4");
    expect(body.values[1]).toEqual(["", 7, ""]);
  });

  it.each(["A0", "ZZZZ1", "A1:B2:C3", "hello", "XFE1", "A1048577"])(
    "rejects the address %s with 400 invalidArgument",
    async (address) => {
      const path = `${BOOK}/workbook/worksheets('Sheet1')/range(address='${address}')`;
      const error = await failure(call(path).get());

      expect(error.statusCode).toBe(400);
      expect(JSON.parse(error.body as string).innerError.code).toBe("invalidArgument");
    },
  );

  it("rejects ranges too large for the emulator", async () => {
    const path = `${BOOK}/workbook/worksheets('Sheet1')/range(address='A1:Z100000')`;
    const error = await failure(call(path).get());

    expect(JSON.parse(error.body as string).innerError.code).toBe("rangeExceedsLimit");
  });

  it("rejects values of the wrong shape or type", async () => {
    for (const values of [
      [[1]],
      [[1, 2], [3]],
      [
        [{}, 1],
        [1, 1],
      ],
      "x",
    ]) {
      const error = await failure(call(RANGE).patch({ values }));
      expect(error.statusCode).toBe(400);
    }
  });

  it("answers 404 for an unknown worksheet", async () => {
    const path = `${BOOK}/workbook/worksheets('Nope')/range(address='A1')`;

    expect((await failure(call(path).get())).statusCode).toBe(404);
  });
});

describe("table rows", () => {
  const ROWS = `${BOOK}/workbook/tables('Orders')/rows`;

  it("adds rows and lists them with their indexes", async () => {
    const first = await call(`${ROWS}/add`).post({ values: [["a", 1]] });
    const second = await call(`${BOOK}/workbook/tables/Orders/rows/add`).post({
      values: [
        ["b", 2],
        ["c", null],
      ],
    });
    const listed = await call(ROWS).get();

    expect(first).toEqual({ index: 0, values: [["a", 1]] });
    expect(second.index).toBe(1);
    expect(listed.value).toEqual([
      { index: 0, values: [["a", 1]] },
      { index: 1, values: [["b", 2]] },
      { index: 2, values: [["c", ""]] },
    ]);
    expect(fixture.emulator.requestsTo("addRow")).toHaveLength(2);
    expect(fixture.emulator.requestsTo("tableRows")).toHaveLength(1);
  });

  it("treats POST to rows as an append", async () => {
    await call(ROWS).post({ values: [["x"]] });

    expect(fixture.emulator.readTableRows("item:BOOK", "orders")).toEqual([["x"]]);
    expect(fixture.emulator.requests[0]?.route).toBe("addRow");
  });

  it("rejects a body without values", async () => {
    expect((await failure(call(`${ROWS}/add`).post({}))).statusCode).toBe(400);
  });
});

describe("non-persistent sessions", () => {
  it("keep their writes to themselves and lose them when they end", async () => {
    const session = await create(false);
    await call(RANGE, session).patch({
      values: [
        ["mine", 1],
        [2, 3],
      ],
    });
    await call(`${BOOK}/workbook/tables('T')/rows/add`, session).post({ values: [["row"]] });

    expect((await call(RANGE, session).get()).values[0]).toEqual(["mine", 1]);
    expect((await call(`${BOOK}/workbook/tables('T')/rows`, session).get()).value).toHaveLength(1);
    expect((await call(RANGE).get()).values[0]).toEqual(["", ""]);
    expect(fixture.emulator.readRange("item:BOOK", "Sheet1", "A1:B1")).toEqual([["", ""]]);
    expect(fixture.emulator.readTableRows("item:BOOK", "T")).toEqual([]);

    await call(`${BOOK}/workbook/closeSession`, session).post({});
    const next = await create(false);
    expect((await call(RANGE, next).get()).values[0]).toEqual(["", ""]);
  });

  it("are isolated from each other but see the stored workbook", async () => {
    await call(RANGE).patch({
      values: [
        ["base", "base"],
        ["base", "base"],
      ],
    });
    const first = await create(false);
    const second = await create(false);
    await call(RANGE, first).patch({
      values: [
        ["first", null],
        [null, null],
      ],
    });

    expect((await call(RANGE, first).get()).values[0]).toEqual(["first", "base"]);
    expect((await call(RANGE, second).get()).values[0]).toEqual(["base", "base"]);
  });

  it("number appended rows after the stored ones", async () => {
    await call(`${BOOK}/workbook/tables('T')/rows/add`).post({ values: [["stored"]] });
    const session = await create(false);
    const added = await call(`${BOOK}/workbook/tables('T')/rows/add`, session).post({
      values: [["own"]],
    });

    expect(added.index).toBe(1);
  });
});

describe("persistent sessions", () => {
  it("write straight to the workbook", async () => {
    const session = await create(true);
    await call(RANGE, session).patch({
      values: [
        ["kept", 1],
        [2, 3],
      ],
    });
    await call(`${BOOK}/workbook/tables('T')/rows/add`, session).post({ values: [["row"]] });

    expect((await call(RANGE).get()).values[0]).toEqual(["kept", 1]);
    expect(fixture.emulator.readTableRows("item:BOOK", "T")).toEqual([["row"]]);
  });

  it("share the workbook with other address forms of the same item", async () => {
    const session = await create(true);
    await call(RANGE, session).patch({
      values: [
        [1, 2],
        [3, 4],
      ],
    });
    const other = "/drives/d/items/BOOK/workbook/worksheets('Sheet1')/range(address='A1')";

    expect((await call(other).get()).values).toEqual([[1]]);
  });

  it("answer the expired-session error for workbook calls with an unknown id", async () => {
    const error = await failure(call(RANGE, "unknown").get());

    expect(error.statusCode).toBe(404);
    expect(JSON.parse(error.body as string).innerError.code).toBe("invalidSessionReCreatable");
  });
});
