import { randomBytes } from "node:crypto";

/**
 * Makes an opaque session id shaped like Graph's, which are base64 of a `cluster=…&session=…`
 * string ending in `=` padding. The URL-safe base64 alphabet is used, so the id survives both a
 * header and a URL unescaped.
 */
export function newSessionId(): string {
  const raw = `cluster=EMU1&session=${randomBytes(20).toString("hex")}`;
  const encoded = Buffer.from(raw).toString("base64url");
  return encoded.padEnd(Math.ceil(encoded.length / 4) * 4, "=");
}
