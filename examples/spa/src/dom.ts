/** The element with this id; the page is broken without it, so a missing one throws. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`The page has no #${id}.`);
  return element as T;
}

/** Runs `action` on click, with the button disabled until it settles. */
export function onClick(id: string, action: () => Promise<unknown> | undefined): void {
  const button = byId<HTMLButtonElement>(id);
  button.addEventListener("click", () => {
    button.disabled = true;
    void Promise.resolve(action()).finally(() => {
      button.disabled = false;
    });
  });
}

/** Clock time with milliseconds, e.g. `14:03:07.214`. */
export function clockTime(at: number): string {
  const time = new Date(at);
  const hms = time.toLocaleTimeString("en-GB", { hour12: false });
  return `${hms}.${String(time.getMilliseconds()).padStart(3, "0")}`;
}
