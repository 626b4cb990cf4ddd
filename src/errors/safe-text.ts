/**
 * Helpers that make untrusted text (a server's message, an error's text, a code read from a
 * response body) safe to put into an error message: bounded length, no control characters,
 * and no credentials.
 */

/** The longest piece of server-supplied text quoted in an error message, in characters. */
export const MAX_QUOTED_LENGTH = 200;

/** The longest error code kept from a response body, in characters. */
export const MAX_CODE_LENGTH = 100;

const codePattern = /^[A-Za-z0-9_.:-]+$/;

/*
 * Control characters (C0, DEL and C1), zero-width spaces and joiners, direction marks, bidi
 * embeddings and isolates, and the byte-order mark: characters that hide or reorder text.
 */
const invisible = /[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;

const secretPatterns: readonly [RegExp, string][] = [
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/gi, "Bearer [redacted]"],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "[redacted token]"],
  [/\b(access_token|id_token|refresh_token|client_secret)=[^&\s"']+/gi, "$1=[redacted]"],
];

/**
 * Returns `text` with control and direction-changing characters turned into spaces, runs of
 * white space collapsed, anything that looks like a bearer token or JWT redacted, and the
 * result cut to `maxLength` characters (ending with an ellipsis when cut).
 */
export function cleanText(text: string, maxLength: number): string {
  let clean = text.replace(invisible, " ").replace(/\s+/g, " ").trim();
  for (const [pattern, replacement] of secretPatterns) {
    clean = clean.replace(pattern, replacement);
  }
  return truncate(clean, maxLength);
}

/** Returns `value` when it is a plausible Graph error code, otherwise null. */
export function cleanCode(value: unknown): string | null {
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  if (typeof value !== "string") return null;

  const code = value.trim();
  const plausible = code.length > 0 && code.length <= MAX_CODE_LENGTH && codePattern.test(code);
  return plausible ? code : null;
}

/**
 * Puts untrusted text in double quotes for an error message, e.g. `"Try again later."`: the
 * text is cleaned as by {@link cleanText} and capped at {@link MAX_QUOTED_LENGTH} characters.
 * The one quoting helper of the library; messages quote server and user text only through it.
 */
export function quote(text: string): string {
  return `"${cleanText(text, MAX_QUOTED_LENGTH)}"`;
}

/*
 * A run of 16 or more token characters that mixes letters and digits: an access
 * token in a shape the patterns above do not know, a session id, a key. Words
 * and error codes have no digits, so a server's sentence stays readable.
 */
const opaqueRun = /[A-Za-z0-9._~+/=-]{16,}/g;
const hasLetterAndDigit = /^(?=.*[A-Za-z])(?=.*[0-9])/;

/**
 * Like {@link quote}, for text that came from a server or the network: servers
 * sometimes echo what they were sent, so long opaque strings (tokens and ids
 * in any shape) are masked too.
 */
export function quoteServerText(text: string): string {
  return quote(maskOpaque(text));
}

/** Replaces each long opaque run in `text` (see {@link quoteServerText}) with `[redacted]`. */
export function maskOpaque(text: string): string {
  return text.replace(opaqueRun, (run) => (hasLetterAndDigit.test(run) ? "[redacted]" : run));
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Masks a request id that is not a GUID: Graph's request ids are GUIDs, so anything else
 * in their place may be an echo of what the server was sent.
 */
export function maskRequestId(id: string): string {
  return guid.test(id) ? id : maskOpaque(id);
}

function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;

  let cut = text.slice(0, Math.max(0, maxLength - 1));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}
