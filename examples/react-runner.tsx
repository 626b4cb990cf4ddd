/**
 * Renders the SessionPanel of react-component.tsx in Node, with happy-dom as
 * the page and the embedded emulator as Graph (its first createSession fails
 * with a 503). Clicks Open, then List worksheets, and prints what the page
 * shows after each step.
 */
import { browserEnvironment, SessionStore } from "graph-workbook-session";
import { createEmulatorClient, startEmulator } from "graph-workbook-session/testing";
import { Window } from "happy-dom";
import { act } from "react";
import { createRoot } from "react-dom/client";
import { SessionPanel } from "./react-component";

const window = new Window({ url: "https://localhost/" });
// react-dom finds the page through these globals; the flag tells React that act() is in use.
Object.assign(globalThis, { window, document: window.document, IS_REACT_ACT_ENVIRONMENT: true });
const container = window.document.createElement("div");
window.document.body.appendChild(container);

async function main(): Promise<void> {
  const emulator = await startEmulator();
  emulator.fault("createSession", { status: 503 });
  const store = new SessionStore({
    client: createEmulatorClient(emulator),
    workbook: "/me/drive/items/01REACT",
    retry: { baseDelay: 200, jitter: "none" }, // a fixed 200 ms wait, long enough to see
    environment: browserEnvironment(window), // the page's visibility and network
  });
  const root = createRoot(container as unknown as Element);

  try {
    await act(() => root.render(<SessionPanel store={store} />));
    print("rendered");
    await act(() => click("Open"));
    print("clicked Open");
    await waitFor("attempt 2", "after the 503");
    await waitFor("active", "session open");
    await act(() => click("List worksheets"));
    await waitFor("Worksheets:", "clicked List worksheets");
  } finally {
    act(() => root.unmount());
    await store.dispose();
    await emulator.close();
    await window.happyDOM.close();
  }
}

function click(label: string): void {
  const buttons = [...container.querySelectorAll("button")];
  buttons.find((button) => button.textContent === label)?.click();
}

/** Lets React render what the store did meanwhile, until the page shows `text`. */
async function waitFor(text: string, step: string): Promise<void> {
  for (let tries = 0; !container.textContent?.includes(text); tries++) {
    if (tries === 100) throw new Error(`The page never showed "${text}".`);
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
  }
  print(step);
}

function print(step: string): void {
  const parts = [...container.querySelectorAll("p, button")].map((element) =>
    element.tagName === "P" ? element.textContent : `[${element.textContent}]`,
  );
  console.log(`${step.padEnd(24)} ${parts.join("  ")}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
