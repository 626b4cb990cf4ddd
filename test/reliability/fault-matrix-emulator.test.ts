import { describe, expect, it } from "vitest";
import { CANARY_TOKEN, useHarness, WORKBOOK } from "../support/harness";
import { useReliabilityLedger } from "./ledger";

const ledger = useReliabilityLedger("fault-matrix-emulator");
const h = useHarness();

/** A createSession sent with plain fetch, so the test sees exactly what arrives. */
function createSession(): Promise<Response> {
  return fetch(`${h.emulator.url}/v1.0${WORKBOOK}/workbook/createSession`, {
    method: "POST",
    headers: { authorization: `Bearer ${CANARY_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ persistChanges: true }),
  });
}

describe("the emulator's truncateAfter fault", () => {
  it.each([0, 1, 12])(
    "sends the status, headers and %i bytes of the route's own answer, then resets",
    async (bytes) => {
      h.emulator.fault("createSession", { truncateAfter: bytes });
      ledger.fault("reset");

      const response = await createSession();

      expect(response.status).toBe(201);
      expect(Number(response.headers.get("content-length"))).toBeGreaterThan(bytes);
      await expect(response.text()).rejects.toThrow(TypeError);
      // The route ran: the session exists although its answer never fully arrived.
      expect(h.emulator.sessions()).toHaveLength(1);
      expect(h.emulator.requestsTo("createSession")[0]?.answeredWith).toBe(201);
      ledger.scenario();
    },
  );

  it("cuts a scripted error answer the same way, and the route does not run", async () => {
    h.emulator.fault("createSession", { status: 503, retryAfter: 2, truncateAfter: 5 });
    ledger.fault("reset");

    const response = await createSession();

    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("2");
    await expect(response.text()).rejects.toThrow(TypeError);
    expect(h.emulator.sessions()).toHaveLength(0);
    ledger.scenario();
  });

  it("applies once by default, then answers whole", async () => {
    h.emulator.fault("createSession", { status: 503, truncateAfter: 0 });
    await (await createSession()).text().catch(() => undefined);

    const response = await createSession();

    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ persistChanges: true });
    ledger.scenario();
  });
});
