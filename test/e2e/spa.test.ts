import { readdir, readFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningSpa, startSpa } from "../../examples/spa/server";
import { launchChromium } from "./chromium";
import {
  BASE_DELAY,
  MAX_DELAY,
  type OpenOptions,
  openSpa,
  recordStatuses,
  type SpaPage,
  screenshot,
  setPageVisibility,
  shownSessionId,
  shownStatuses,
  waitForLogLine,
  waitForStatus,
} from "./spa-page";

let spa: RunningSpa;
let browser: Browser;
let current: SpaPage | undefined;

beforeAll(async () => {
  spa = await startSpa();
  browser = await launchChromium();
});

afterEach(async () => {
  await current?.context.close();
  current = undefined;
  spa.emulator.clearFaults();
});

afterAll(async () => {
  await browser?.close();
  await spa?.close();
});

async function open(
  itemId: string,
  extra: Record<string, string> = {},
  options: OpenOptions = {},
): Promise<SpaPage> {
  current = await openSpa(browser, spa, itemId, extra, options);
  return current;
}

/** Whether the page is wider than its viewport, so that it scrolls sideways. */
function scrollsSideways(page: SpaPage["page"]): Promise<boolean> {
  return page.evaluate(
    () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
  );
}

/** What the page sent to one route of its workbook, preflights left out. */
function requestsFor(workbook: string, route: string) {
  return spa.emulator.requests.filter(
    (request) =>
      request.workbook === workbook && request.route === route && request.method !== "OPTIONS",
  );
}

describe("the example app in Chromium", () => {
  it("builds a page that pulls in no Node module", async () => {
    const assets = new URL("../../examples/spa/dist/assets/", import.meta.url);
    const scripts = (await readdir(assets)).filter((name) => name.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    for (const name of scripts) {
      const code = await readFile(new URL(name, assets), "utf8");
      expect(code).not.toMatch(/node:(http|net|crypto)|__vite-browser-external/);
    }
  });

  it("shows a 429 cooldown counting down, then the active session", async () => {
    const { page, workbook } = await open("01THROTTLE");
    await page.selectOption("#cooldown-seconds", "2");
    await page.click("#fault-429");
    await waitForLogLine(page, "429 with Retry-After: 2");
    await page.click("#open");

    await page.locator("#countdown[data-waiting=true]").waitFor();
    await expect.poll(() => page.textContent("#countdown")).toMatch(/^in \d+\.\d s$/);
    expect(await page.textContent("#status-label")).toMatch(/^creating, attempt \d+$/);
    await screenshot(page, "01-creating-countdown");

    await waitForStatus(page, "active");
    expect(await shownSessionId(page)).not.toBe("");
    expect(await page.textContent("#session-id")).toMatch(/…/);

    const answers = requestsFor(workbook, "createSession").map((request) => request.answeredWith);
    expect(answers.at(-1)).toBe(201);
    expect(answers.slice(0, -1).every((status) => status === 429)).toBe(true);
    await waitForLogLine(page, "no readable Retry-After");

    await page.click("#run-call");
    await waitForLogLine(page, "Workbook call: A1:B2");
    await screenshot(page, "02-active-after-429");
  });

  it("hides Retry-After from the page, as Graph's CORS answers do", async () => {
    const { page } = await open("01CORS");
    spa.emulator.fault("worksheets", { status: 429, retryAfter: 7 });

    const seen = await page.evaluate(async (origin) => {
      const response = await fetch(`${origin}/v1.0/me/drive/items/01CORS/workbook/worksheets`);
      return { status: response.status, retryAfter: response.headers.get("retry-after") };
    }, spa.emulatorUrl);

    expect(seen).toEqual({ status: 429, retryAfter: null });
  });

  it("backs off after a 429 whose Retry-After it cannot read", async () => {
    const { page, workbook } = await open("01BACKOFF");
    await page.selectOption("#cooldown-seconds", "2");
    await page.click("#fault-429");
    await waitForLogLine(page, "429 with Retry-After: 2");
    await page.click("#open");
    await waitForStatus(page, "active");

    const times = requestsFor(workbook, "createSession").map((request) => request.time);
    const gaps = times.slice(1).map((time, index) => time - (times[index] ?? time));
    expect(gaps.length).toBeGreaterThan(0);
    gaps.forEach((gap, retryIndex) => {
      // At least half of the backoff ceiling of that retry; a little slack for timer rounding.
      const ceiling = Math.min(MAX_DELAY, BASE_DELAY * 2 ** retryIndex);
      expect(gap).toBeGreaterThanOrEqual(ceiling / 2 - 10);
    });
  });

  it("reads and writes a range in the session", async () => {
    const { page, workbook } = await open("01RANGE");
    await page.click("#open");
    await waitForStatus(page, "active");
    const sessionId = await shownSessionId(page);

    await page.click("#run-call");
    await waitForLogLine(page, "Workbook call: A1:B2 held nothing");

    const stored = spa.emulator.readRange(workbook, "Sheet1", "A1:B2");
    expect(stored[0]).toEqual(["Runs", 1]);
    expect(stored[1]?.[0]).toBe("Written at");
    expect(stored[1]?.[1]).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await page.textContent("#range")).toContain("Runs");

    // The first read rides out network trouble; the write reads the count in the same call.
    const calls = requestsFor(workbook, "range");
    expect(calls.map((request) => request.method)).toEqual(["GET", "GET", "PATCH", "GET"]);
    expect(calls.every((request) => request.sessionId === sessionId)).toBe(true);
    await screenshot(page, "03-range-written");
  });

  it("counts the runs the workbook holds, across a reload", async () => {
    const { page, workbook } = await open("01COUNT");
    await page.click("#run-call");
    await waitForLogLine(page, "now Runs | 1");
    await page.click("#run-call");
    await waitForLogLine(page, "now Runs | 2");

    await page.reload();
    await page.locator("body[data-ready=true]").waitFor();
    await page.click("#run-call");
    await waitForLogLine(page, "held Runs | 2");
    await waitForLogLine(page, "now Runs | 3");
    expect(spa.emulator.readRange(workbook, "Sheet1", "A1:B1")).toEqual([["Runs", 3]]);
    expect(await page.textContent("#range")).toContain("3");
  });

  it("shows the settings in effect, keeping the default for an empty value", async () => {
    const { page } = await open("01SETTINGS", { baseDelay: "", keepAliveAfter: "1600" });
    expect(await page.textContent("#settings")).toBe(
      `retry: base 1 s, max ${MAX_DELAY / 1000} s, 8 retries · ` +
        "keep-alive: expires 1.6 s, refreshed 400 ms before · item 01SETTINGS",
    );
  });

  for (const [name, value, option] of [
    ["keepAliveAfter", "0", "keepAlive.expiresAfter"],
    ["baseDelay", "99999999999", "retry.baseDelay"],
    ["retries", "-1", "retry.retries"],
  ] as const) {
    it(`names the refused setting ${name}=${value} and turns the buttons off`, async () => {
      const { page } = await open("01REFUSED", { [name]: value }, { ready: "error" });

      const banner = page.locator("#start-error");
      await banner.waitFor();
      const text = (await banner.textContent()) ?? "";
      expect(text).toContain(`${name}=${value}: ${option} must`);
      expect(await page.textContent("#status-label")).toBe("not started");
      const controls = page.locator(".actions-card button, .actions-card select");
      expect(await controls.count()).toBeGreaterThan(0);
      for (const control of await controls.all()) expect(await control.isDisabled()).toBe(true);
      if (name === "keepAliveAfter") await screenshot(page, "07-refused-setting");
    });
  }

  for (const width of [375, 320]) {
    it(`fits a long last error in ${width} px without scrolling sideways`, async () => {
      const { page } = await open("01NARROW", {}, { viewport: { width, height: 760 } });
      await page.selectOption("#cooldown-seconds", "5");
      await page.click("#fault-429");
      await waitForLogLine(page, "429 with Retry-After: 5");
      await page.click("#open");

      await page.locator("#last-error", { hasText: "tooManyRequestsUncategorized" }).waitFor();
      expect(await scrollsSideways(page)).toBe(false);
      await screenshot(page, `08-narrow-${width}`);
      await page.context().close();

      const refused = await open(
        "01NARROW",
        { keepAliveAfter: "0" },
        {
          viewport: { width, height: 760 },
          ready: "error",
        },
      );
      expect(await scrollsSideways(refused.page)).toBe(false);
    });
  }

  it("shows a session that expired being recreated", async () => {
    const { page } = await open("01EXPIRE");
    await page.click("#open");
    await waitForStatus(page, "active");
    const first = await shownSessionId(page);
    await recordStatuses(page);

    await page.click("#fault-expire");
    await waitForLogLine(page, "session(s) expired");
    await page.click("#run-call");
    await waitForLogLine(page, "replaces");
    await waitForLogLine(page, "Workbook call: A1:B2");

    await waitForStatus(page, "active");
    expect(await shownSessionId(page)).not.toBe(first);
    expect(await shownStatuses(page)).toEqual(["active", "creating", "active"]);
    await screenshot(page, "04-recreated-after-expiry");
  });

  it("rides out the browser going offline and coming back", async () => {
    const { page, context, workbook } = await open("01OFFLINE");
    await page.click("#open");
    await waitForStatus(page, "active");

    await context.setOffline(true);
    await page.locator("#browser-network", { hasText: "browser offline" }).waitFor();
    await page.click("#run-call");
    await waitForLogLine(page, "request try 1 failed: no answer");
    await screenshot(page, "05-offline");

    await context.setOffline(false);
    await page.locator("#browser-network", { hasText: "browser online" }).waitFor();
    await waitForLogLine(page, "Workbook call: A1:B2");
    expect(spa.emulator.readRange(workbook, "Sheet1", "A1:A1")).toEqual([["Runs"]]);
    await waitForStatus(page, "active");
  });

  it("waits out an emulator that drops every connection", async () => {
    const { page } = await open("01OUTAGE");
    await page.click("#open");
    await waitForStatus(page, "active");

    await page.click("#fault-offline");
    await page.locator("#emulator-network", { hasText: "emulator unreachable" }).waitFor();
    await page.click("#run-call");
    await waitForLogLine(page, "request try 1 failed: no answer");

    await page.click("#fault-offline");
    await page.locator("#emulator-network", { hasText: "emulator reachable" }).waitFor();
    await waitForLogLine(page, "Workbook call: A1:B2");
    await waitForStatus(page, "active");
  });

  it("lets two tabs of one workbook meet an outage as one, over a BroadcastChannel", async () => {
    const first = await open("01TWOTABS");
    const second = await first.context.newPage();
    await second.goto(first.page.url());
    await second.locator("body[data-ready=true]").waitFor();
    spa.emulator.fault("createSession", { status: 503, times: 4 });

    await Promise.all([first.page.click("#open"), second.click("#open")]);
    await Promise.all([waitForStatus(first.page, "active"), waitForStatus(second, "active")]);

    const notSentLines = await Promise.all(
      [first.page, second].map((tab) =>
        tab.locator(".log-line", { hasText: "not sent: another tab just got 503" }).count(),
      ),
    );
    expect(notSentLines.reduce((sum, lines) => sum + lines, 0)).toBeGreaterThan(0);
    await screenshot(second, "09-two-tabs");
    // Past the first two tries (one per tab, perhaps both at once), one tab tries at a time,
    // a base delay after the last failure either tab heard of (less the message's way).
    const times = requestsFor(first.workbook, "createSession").map((request) => request.time);
    expect(times.length).toBeGreaterThanOrEqual(5);
    for (const index of [2, 3]) {
      const gap = (times[index] ?? 0) - (times[index - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(BASE_DELAY - 50);
    }
  });

  it("keeps the session through the tab being hidden and shown (simulated hiding)", async () => {
    const { page, workbook } = await open("01HIDDEN", { keepAliveAfter: "1600" });
    await page.click("#open");
    await waitForStatus(page, "active");
    const sessionId = await shownSessionId(page);

    await setPageVisibility(page, "hidden");
    await page.locator("#page-visibility", { hasText: "page hidden" }).waitFor();
    await screenshot(page, "06-hidden");
    await setPageVisibility(page, "visible");
    await page.locator("#page-visibility", { hasText: "page visible" }).waitFor();

    await waitForLogLine(page, "kept alive");
    expect(await shownSessionId(page)).toBe(sessionId);
    const refreshes = requestsFor(workbook, "refreshSession");
    expect(refreshes.map((request) => request.sessionId)).toContain(sessionId);
  });

  it("closes the session when the page is left", async () => {
    const { page, workbook } = await open("01LEAVE");
    await page.click("#open");
    await waitForStatus(page, "active");
    const sessionId = await shownSessionId(page);

    await page.goto("about:blank");

    await expect
      .poll(() => requestsFor(workbook, "closeSession").map((request) => request.answeredWith), {
        timeout: 5_000,
      })
      .toEqual([204]);
    expect(requestsFor(workbook, "closeSession")[0]?.sessionId).toBe(sessionId);
    expect(spa.emulator.sessions().some((session) => session.id === sessionId)).toBe(false);
  });
});
