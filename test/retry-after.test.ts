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
    "Wednesday, 21-Oct-15 07:28:00 GMT",
    "Wed Oct 21 07:28:00 2015",
    "2015-10-21T07:28:04Z",
  ])("reads %j as no cooldown given", (value) => {
    expect(parseRetryAfter(value, now)).toBeNull();
  });

  it("clamps absurdly long cooldowns instead of overflowing", () => {
    expect(parseRetryAfter("9".repeat(400), now)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
