import { type ClassifyContext, errorFromResponse } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import { readBodyText } from "../src/errors/read-body-text";

const CHUNK = 16 * 1024;

/** A body that never ends: `prefix`, then chunks of `fill` for as long as anyone reads. */
function endlessBody(prefix = "", fill = "x") {
  const encoder = new TextEncoder();
  const probe = { pulls: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const head = probe.pulls === 0 ? prefix : "";
      probe.pulls += 1;
      controller.enqueue(encoder.encode(head + fill.repeat(CHUNK)));
    },
    cancel() {
      probe.cancelled = true;
    },
  });
  return { stream, probe };
}

/** A body sent as the given byte chunks. */
function chunkedBody(...chunks: number[][]) {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new Uint8Array(chunk));
      controller.close();
    },
  });
}

describe("readBodyText", () => {
  it("reads a short body whole", async () => {
    const result = await readBodyText(new Response("hello"), 1024);
    expect(result).toEqual({ text: "hello", truncated: false });
  });

  it("gives empty text for a response without a body", async () => {
    const result = await readBodyText(new Response(null, { status: 204 }), 1024);
    expect(result).toEqual({ text: "", truncated: false });
  });

  it("is not truncated when the body is exactly the limit", async () => {
    const result = await readBodyText(new Response("abcd"), 4);
    expect(result).toEqual({ text: "abcd", truncated: false });
  });

  it("decodes a character split across chunks", async () => {
    // "é" is 0xC3 0xA9 in UTF-8.
    const body = chunkedBody([0x61, 0xc3], [0xa9, 0x62]);
    const result = await readBodyText(new Response(body), 1024);
    expect(result).toEqual({ text: "aéb", truncated: false });
  });

  it("stops at the limit of an endless body and cancels the rest", async () => {
    const { stream, probe } = endlessBody();
    const result = await readBodyText(new Response(stream), 100_000);

    expect(result.truncated).toBe(true);
    expect(result.text).toBe("x".repeat(100_000));
    expect(probe.cancelled).toBe(true);
    expect(probe.pulls).toBeLessThan(10);
  });

  it("reads nothing past a limit of 0", async () => {
    const { stream, probe } = endlessBody();
    const result = await readBodyText(new Response(stream), 0);
    expect(result).toEqual({ text: "", truncated: true });
    expect(probe.cancelled).toBe(true);
  });

  it("rejects a body that was already read", async () => {
    const used = new Response("gone");
    await used.text();
    await expect(readBodyText(used, 1024)).rejects.toThrow(TypeError);
  });

  it("rejects a limit that is not a whole number of bytes", async () => {
    await expect(readBodyText(new Response("x"), -1)).rejects.toThrow(RangeError);
    await expect(readBodyText(new Response("x"), 1.5)).rejects.toThrow(
      "maxBytes must be an integer ≥ 0, got 1.5.",
    );
  });
});

describe("errorFromResponse with a huge body", () => {
  const sessionless: ClassifyContext = { operation: "request", sessionful: false };

  it("returns without reading an endless body, classified by status", async () => {
    const { stream, probe } = endlessBody("<html><body>", "<p>down</p>");
    const response = new Response(stream, {
      status: 502,
      headers: { "content-type": "text/html", "retry-after": "3" },
    });
    const error = await errorFromResponse(response, sessionless);

    expect(error.kind).toBe("transient");
    expect(error.retryAfterMs).toBe(3000);
    expect(error.detail).toContain("cut after 64 KiB");
    expect(error.detail).toContain("text/html");
    expect(probe.cancelled).toBe(true);
    expect(probe.pulls).toBeLessThan(20);
  });

  it("does not trust the start of a Graph-looking body that was cut", async () => {
    const prefix = '{"error":{"code":"tooManyRequests","message":"';
    const { stream } = endlessBody(prefix);
    const response = new Response(stream, {
      status: 400,
      headers: { "content-type": "application/json" },
    });
    const error = await errorFromResponse(response, sessionless);

    expect(error.kind).toBe("fatal");
    expect(error.codes).toEqual([]);
    expect(error.detail).toContain("was cut");
  });
});
