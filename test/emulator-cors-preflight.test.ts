import { describe, expect, it } from "vitest";
import { useEmulator } from "./support/emulator-fixture";

const fixture = useEmulator();

/** Headers a browser sends without asking in a preflight, or sets itself. */
const NEEDS_NO_PREFLIGHT = new Set([
  "accept",
  "accept-language",
  "accept-encoding",
  "connection",
  "content-length",
  "host",
  "user-agent",
  "sec-fetch-mode",
]);

async function allowedHeaders(): Promise<string[]> {
  const response = await fetch(
    `${fixture.emulator.url}/v1.0/me/drive/items/A/workbook/createSession`,
    {
      method: "OPTIONS",
      headers: { origin: "http://app.test", "access-control-request-method": "POST" },
    },
  );
  const allowed = response.headers.get("access-control-allow-headers") ?? "";
  return allowed.split(",").map((name) => name.trim().toLowerCase());
}

describe("the emulator's preflight", () => {
  it("allows every header the emulator client sends, so a page on another origin can use it", async () => {
    await fixture.client
      .api("/me/drive/items/A/workbook/createSession")
      .header("Prefer", "respond-async")
      .post({ persistChanges: true });
    const [request] = fixture.emulator.requestsTo("createSession");

    const sent = Object.keys(request?.headers ?? {}).filter(
      (name) => !NEEDS_NO_PREFLIGHT.has(name),
    );
    expect(sent).toEqual(expect.arrayContaining(["x-forwarded-host", "x-forwarded-proto"]));
    expect(await allowedHeaders()).toEqual(expect.arrayContaining(sent));
  });
});
