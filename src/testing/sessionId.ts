import { randomBytes } from "node:crypto";

/**
 * Makes an opaque session id shaped like Graph's: base64 of a `cluster=…&session=…` string. The
 * alphabet (`A-Z a-z 0-9 + / =`) is safe in a header but not in a URL, like the real thing.
 */
export function newSessionId(): string {
  const raw = `cluster=EMU1&session=${randomBytes(20).toString("hex")}`;
  return Buffer.from(raw).toString("base64");
}
