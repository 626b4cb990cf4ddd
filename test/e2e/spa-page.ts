import { mkdir } from "node:fs/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { RunningSpa } from "../../examples/spa/server";

export const SCREENSHOTS = "test-results/e2e";

/** Small delays keep the suite quick while the browser runs on real time. */
export const BASE_DELAY = 300;
export const MAX_DELAY = 2000;

export interface SpaPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** The emulator's key of the page's workbook, e.g. `item:01OPEN`. */
  readonly workbook: string;
}

/** How {@link openSpa} opens the page. */
export interface OpenOptions {
  /** Default 1280 × 860. */
  readonly viewport?: { readonly width: number; readonly height: number };
  /** What the page should end up as: started (`"true"`, the default) or refusing to (`"error"`). */
  readonly ready?: "true" | "error";
}

/**
 * Opens the example in a fresh browser context, on a workbook of its own. `extra` adds to or
 * replaces the address's settings.
 */
export async function openSpa(
  browser: Browser,
  spa: RunningSpa,
  itemId: string,
  extra: Record<string, string> = {},
  options: OpenOptions = {},
): Promise<SpaPage> {
  const viewport = options.viewport ?? { width: 1280, height: 860 };
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const query = new URLSearchParams({
    item: itemId,
    baseDelay: String(BASE_DELAY),
    maxDelay: String(MAX_DELAY),
    retries: "8",
    ...extra,
  });
  await page.goto(`${spa.url}?${query}`);
  await page.locator(`body[data-ready=${options.ready ?? "true"}]`).waitFor();
  return { page, context, workbook: `item:${itemId}` };
}

export async function waitForStatus(page: Page, status: string, timeout = 15_000) {
  await page.locator(`#status[data-status="${status}"]`).waitFor({ timeout });
}

/** The full id of the active session, as the page holds it. */
export async function shownSessionId(page: Page): Promise<string> {
  return (await page.locator("#session-id").getAttribute("data-session-id")) ?? "";
}

/** Waits for a log line containing `text`. */
export async function waitForLogLine(page: Page, text: string, timeout = 15_000) {
  await page.locator(".log-line", { hasText: text }).first().waitFor({ timeout });
}

/** Records every status the page shows from now on, in `window.shownStatuses`. */
export async function recordStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const status = document.getElementById("status");
    const seen: string[] = [status?.dataset.status ?? ""];
    Object.assign(window, { shownStatuses: seen });
    new MutationObserver(() => seen.push(status?.dataset.status ?? "")).observe(status as Node, {
      attributes: true,
      attributeFilter: ["data-status"],
    });
  });
}

export function shownStatuses(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { shownStatuses: string[] }).shownStatuses);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/**
 * Headless Chromium keeps every page visible (a second page in front, a minimized window and
 * CDP's target activation all leave `visibilityState` at "visible"), so hiding is simulated:
 * the page's `document.visibilityState` is overridden and `visibilitychange` fired, which is
 * what the store's browser environment listens to.
 */
export async function setPageVisibility(page: Page, state: "hidden" | "visible"): Promise<void> {
  await page.evaluate((next) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => next });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => next === "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  }, state);
}
