import type { LogLine } from "./describe";
import { clockTime } from "./dom";

/** The live log: newest line on top, at most `limit` lines kept. */
export class EventLog {
  readonly #list: HTMLOListElement;
  readonly #limit: number;

  constructor(list: HTMLOListElement, limit = 200) {
    this.#list = list;
    this.#limit = limit;
  }

  add(line: LogLine): void {
    this.#list.prepend(lineElement(line));
    while (this.#list.childElementCount > this.#limit) this.#list.lastElementChild?.remove();
  }

  /** Adds a line about something the page itself did. */
  note(text: string, tone: LogLine["tone"] = "app"): void {
    this.add({ at: Date.now(), tone, text });
  }

  clear(): void {
    this.#list.replaceChildren();
  }
}

function lineElement(line: LogLine): HTMLLIElement {
  const item = document.createElement("li");
  item.className = `log-line ${line.tone}`;

  const time = document.createElement("time");
  time.textContent = clockTime(line.at);
  const text = document.createElement("span");
  text.textContent = line.text;

  item.append(time, text);
  return item;
}
