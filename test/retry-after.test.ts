import fc from "fast-check";
import { parseRetryAfter } from "graph-workbook-session";
import { describe, expect, it } from "vitest";

const now = Date.UTC(2015, 9, 21, 7, 28, 0);

describe("parseRetryAfter", () => {
  it.each([
    ["0", 0],
    ["5", 5000],
    [" 120 ", 120_000],
    ["2.128", 2128],
    ["2.007", 2007],
    ["0.5", 500],
    ["0.0001", 1],
    ["1.0009", 1001],
    ["3.000", 3000],
  ])("reads %j seconds as %i ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it("reads a future HTTP date relative to now", () => {
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:04 GMT", now)).toBe(4000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:04 GMT", now + 0.5)).toBe(4000);
    expect(parseRetryAfter("Thu, 22 Oct 2015 07:28:00 GMT", now)).toBe(86_400_000);
  });

  it("reads the obsolete HTTP date forms too, as RFC 9110 asks", () => {
    expect(parseRetryAfter("Wednesday, 21-Oct-15 07:28:04 GMT", now)).toBe(4000);
    expect(parseRetryAfter("Wed Oct 21 07:28:04 2015", now)).toBe(4000);
    expect(parseRetryAfter("Thu Oct 22 07:28:00 2015", now)).toBe(86_400_000);
    expect(parseRetryAfter("Thu Oct  1 07:28:00 2015", now)).toBe(0);
  });

  it("reads a two-digit year in this century, or the one before when more than 50 years ahead", () => {
    const in2065 = Date.UTC(2065, 0, 1) - now;
    expect(parseRetryAfter("Thursday, 01-Jan-65 00:00:00 GMT", now)).toBe(in2065);
    expect(parseRetryAfter("Friday, 01-Jan-66 00:00:00 GMT", now)).toBe(0);
    // The date decides, not its year: 31 Dec 2065 is more than 50 years after 21 Oct 2015.
    expect(parseRetryAfter("Thursday, 31-Dec-65 00:00:00 GMT", now)).toBe(0);

    const from2070 = Date.UTC(2070, 0, 1);
    expect(parseRetryAfter("Thursday, 31-Dec-20 00:00:00 GMT", from2070)).toBe(0);
    expect(parseRetryAfter("Tuesday, 29-Feb-00 00:00:00 GMT", from2070)).toBe(0);
    expect(parseRetryAfter("Wednesday, 01-Jan-70 00:00:05 GMT", from2070)).toBe(5000);
  });

  it("reads every date the same in all three forms", () => {
    const within49Years = 49 * 365 * 86_400;
    const seconds = fc.integer({ min: -within49Years, max: within49Years });
    fc.assert(
      fc.property(seconds, (offset) => {
        const date = new Date(now + offset * 1000);
        const expected = Math.max(0, offset * 1000);
        expect(parseRetryAfter(date.toUTCString(), now)).toBe(expected);
        expect(parseRetryAfter(rfc850(date), now)).toBe(expected);
        expect(parseRetryAfter(asctime(date), now)).toBe(expected);
      }),
    );
  });

  it("reads a past or present HTTP date as no wait", () => {
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now)).toBe(0);
  });

  it.each([
    null,
    undefined,
    "",
    "   ",
    "soon",
    "-5",
    "-0.5",
    "+5",
    "5s",
    "1e3",
    ".5",
    "5.",
    "0x10",
    "Infinity",
    "NaN",
    "Wed, 31 Feb 2015 07:28:00 GMT",
    "Wed, 21 Oct 2015 25:28:00 GMT",
    "Wed, 21 Foo 2015 07:28:00 GMT",
    "Wednesday, 31-Feb-15 07:28:00 GMT",
    "Wed, 21-Oct-15 07:28:00 GMT",
    "Wednesday, 21 Oct 2015 07:28:00 GMT",
    "Wed Oct 21 07:28:00 2015 GMT",
    "Wed Oct 32 07:28:00 2015",
    "Wed, 21 Oct 0015 07:28:00 GMT",
    "2015-10-21T07:28:04Z",
  ])("reads %j as no cooldown given", (value) => {
    expect(parseRetryAfter(value, now)).toBeNull();
  });

  it("clamps absurdly long cooldowns instead of overflowing", () => {
    expect(parseRetryAfter("9".repeat(400), now)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

const longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** `Sunday, 06-Nov-94 08:49:37 GMT` */
function rfc850(date: Date): string {
  const [, day, month, year, time] = date.toUTCString().split(" ");
  return `${longDays[date.getUTCDay()]}, ${day}-${month}-${year?.slice(2)} ${time} GMT`;
}

/** `Sun Nov  6 08:49:37 1994` */
function asctime(date: Date): string {
  const [weekday, day, month, year, time] = date.toUTCString().split(" ");
  return `${weekday?.slice(0, 3)} ${month} ${String(Number(day)).padStart(2)} ${time} ${year}`;
}
