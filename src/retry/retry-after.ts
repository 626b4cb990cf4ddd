/**
 * The longest cooldown this parser reports, in ms. Larger values are clamped to it, which is
 * still far beyond any `maxRetryAfter`, so such a response is given up on, not waited for.
 */
export const MAX_RETRY_AFTER_MS = Number.MAX_SAFE_INTEGER;

const secondsPattern = /^(\d+)(?:\.(\d+))?$/;
const imfFixdatePattern =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// The two obsolete forms of an HTTP date, which RFC 9110 asks a recipient to accept too.
const rfc850Pattern = /^[A-Z][a-z]+day, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\S+) GMT$/;
const asctimePattern = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([ \d]\d) (\S+) (\d{4})$/;
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Reads a `Retry-After` header value as a cooldown in ms, rounded up to a whole ms.
 *
 * Accepts a number of seconds, whole or fractional (Graph sends values such as `2.128`), and
 * an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`, or one of the two obsolete forms
 * `Wednesday, 21-Oct-15 07:28:00 GMT` and `Wed Oct 21 07:28:00 2015`), measured from `now`
 * (ms since the epoch); a date in the past gives 0. Anything else gives null, meaning "no
 * cooldown given": empty text, garbage, impossible dates, and negative numbers, which the
 * header's grammar does not allow, so they are treated as absent rather than as "now".
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (typeof value !== "string") return null;

  const text = value.trim();
  const seconds = secondsPattern.exec(text);
  if (seconds) return secondsToMs(seconds[1] ?? "0", seconds[2] ?? "");

  const date = parseHttpDate(text, now);
  if (date === null) return null;
  return Math.max(0, Math.ceil(date - now));
}

/**
 * Converts decimal seconds to whole ms from the digits, so that `2.007` gives exactly 2007
 * (floating-point multiplication gives 2007.0000000000002, which would round up to 2008).
 */
function secondsToMs(whole: string, fraction: string): number {
  const millis = Number(fraction.slice(0, 3).padEnd(3, "0"));
  const roundUp = /[1-9]/.test(fraction.slice(3)) ? 1 : 0;
  const ms = Number(whole) * 1000 + millis + roundUp;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function parseImfFixdate(text: string): number | null {
  const match = imfFixdatePattern.exec(text);
  if (!match) return null;

  const month = months.indexOf(match[2] ?? "");
  const [, day = 0, , year = 0, hour = 0, minute = 0, second = 0] = match.map(Number);
  const time = Date.UTC(year, month, day, hour, minute, second);

  // Date.UTC rolls over out-of-range parts (31 Feb becomes 3 Mar, an unknown month the
  // December before): such a date reads back differently, and is rejected. The weekday is
  // not checked.
  const readBack = new Date(time).toUTCString();
  return readBack.slice(5) === text.slice(5) ? time : null;
}

/* An HTTP date in any of its three forms, in ms since the epoch; null if it is none. */
function parseHttpDate(text: string, now: number): number | null {
  const rfc850 = rfc850Pattern.exec(text);
  if (rfc850) return parseRfc850(rfc850, now);

  const asctime = asctimePattern.exec(text);
  if (asctime) {
    const [, weekday, month, day = "", time, year] = asctime;
    return parseImfFixdate(
      `${weekday}, ${day.trim().padStart(2, "0")} ${month} ${year} ${time} GMT`,
    );
  }
  return parseImfFixdate(text);
}

/*
 * A two-digit year is read in this century, or in the one before when that date
 * would be more than 50 years ahead of now (RFC 9110, section 5.6.7).
 */
function parseRfc850(match: RegExpExecArray, now: number): number | null {
  const [, day, month, shortYear, time] = match;
  const inCentury = (start: number) =>
    parseImfFixdate(`Mon, ${day} ${month} ${start + Number(shortYear)} ${time} GMT`);

  const thisYear = new Date(now).getUTCFullYear();
  const century = thisYear - (thisYear % 100);
  const date = inCentury(century);
  const limit = new Date(now);
  limit.setUTCFullYear(thisYear + 50);
  return date !== null && date > limit.getTime() ? inCentury(century - 100) : date;
}
