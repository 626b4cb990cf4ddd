import type { IncomingMessage } from "node:http";

/** A request body as the emulator understood it. */
export interface ParsedBody {
  /** Parsed JSON, the raw text when it is not JSON, or `undefined` when empty. */
  readonly value: unknown;
  /** True when the body claimed to be JSON but could not be parsed. */
  readonly malformed: boolean;
}

/** Collects a request body as UTF-8 text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Parses a body as JSON when it can; text that fails to parse is kept raw, and counts as
 * malformed when the content type says JSON.
 */
export function parseBody(text: string, contentType: string | undefined): ParsedBody {
  if (text.trim() === "") return { value: undefined, malformed: false };
  try {
    return { value: JSON.parse(text), malformed: false };
  } catch {
    return { value: text, malformed: contentType?.toLowerCase().includes("json") ?? false };
  }
}

/** The body as a plain JSON object, or `undefined` when it is anything else. */
export function asObject(value: unknown): Readonly<Record<string, unknown>> | undefined {
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  return isObject ? (value as Record<string, unknown>) : undefined;
}
