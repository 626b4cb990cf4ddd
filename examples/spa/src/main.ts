import { browserEnvironment, type SessionEnvironment, SessionStore } from "graph-workbook-session";
import { createEmulatorClient } from "graph-workbook-session/testing/browser";
import { type FaultRequest, fetchConfig, injectFault } from "./control";
import { describeEvent } from "./describe";
import { byId, onClick } from "./dom";
import { EventLog } from "./event-log";
import {
  type AppSettings,
  describeSettings,
  explainRefusal,
  readSettings,
  storeSettings,
} from "./settings";
import { StatusView } from "./status-view";
import { readAndWriteRange } from "./workbook-call";

async function start(): Promise<void> {
  const settings = readSettings(window.location.search);
  byId("settings").textContent = describeSettings(settings);
  const { emulatorUrl } = await fetchConfig();
  const environment = browserEnvironment(window);
  let store: SessionStore;
  try {
    store = createStore(settings, emulatorUrl, environment);
  } catch (error) {
    throw new Error(
      `A setting in the address was refused. ${explainRefusal(settings, error as Error)}`,
    );
  }

  const log = new EventLog(byId<HTMLOListElement>("log"));
  const status = new StatusView();
  store.state$.subscribe((state) => status.show(state));
  store.events$.subscribe((event) => log.add(describeEvent(event)));

  watchEnvironment(environment, log);
  bindSessionButtons(store, log);
  bindFaultButtons(log);
  byId("clear-log").addEventListener("click", () => log.clear());
  document.body.dataset.ready = "true";
}

function createStore(
  settings: AppSettings,
  emulatorUrl: string,
  environment: SessionEnvironment,
): SessionStore {
  return new SessionStore({
    client: createEmulatorClient(emulatorUrl, { token: "spa-demo-token" }),
    workbook: `/me/drive/items/${settings.itemId}`,
    ...storeSettings(settings),
    environment,
  });
}

function bindSessionButtons(store: SessionStore, log: EventLog): void {
  onClick("open", () =>
    store.open().catch((error: Error) => log.note(`Open failed: ${error.message}`, "bad")),
  );
  onClick("run-call", () => readAndWriteRange(store, log));
  onClick("close", () => store.close());
}

function bindFaultButtons(log: EventLog): void {
  const cooldown = byId<HTMLSelectElement>("cooldown-seconds");
  onClick("fault-429", () => sendFault({ type: "throttle", seconds: Number(cooldown.value) }, log));
  onClick("fault-503", () => sendFault({ type: "unavailable" }, log));
  onClick("fault-expire", () => sendFault({ type: "expire" }, log));
  onClick("fault-offline", () => toggleEmulatorNetwork(log));
}

async function toggleEmulatorNetwork(log: EventLog): Promise<void> {
  const button = byId("fault-offline");
  const goingOffline = button.getAttribute("aria-pressed") !== "true";
  await sendFault({ type: goingOffline ? "offline" : "online" }, log);

  button.setAttribute("aria-pressed", String(goingOffline));
  button.textContent = goingOffline ? "Back online" : "Go offline";
  showPill(
    "emulator-network",
    goingOffline ? "emulator unreachable" : "emulator reachable",
    goingOffline,
  );
}

async function sendFault(fault: FaultRequest, log: EventLog): Promise<void> {
  try {
    const { detail } = await injectFault(fault);
    log.note(detail);
  } catch (error) {
    log.note((error as Error).message, "bad");
  }
}

function watchEnvironment(environment: SessionEnvironment, log: EventLog): void {
  const show = () => {
    showPill(
      "page-visibility",
      environment.isVisible() ? "page visible" : "page hidden",
      !environment.isVisible(),
    );
    showPill(
      "browser-network",
      environment.isOnline() ? "browser online" : "browser offline",
      !environment.isOnline(),
    );
  };
  show();
  environment.watch((change) => {
    if (change !== "pagehide") log.note(`Browser: ${change}`);
    show();
  });
}

function showPill(id: string, text: string, alert: boolean): void {
  const pill = byId(id);
  pill.textContent = text;
  pill.classList.toggle("alert", alert);
}

/** Without a store the page can do nothing: it says why, and its buttons stay off. */
function showStartError(message: string): void {
  const banner = byId("start-error");
  byId("start-error-text").textContent = message;
  banner.hidden = false;
  byId("status-label").textContent = "not started";
  for (const control of document.querySelectorAll<HTMLButtonElement | HTMLSelectElement>(
    ".actions-card button, .actions-card select",
  )) {
    control.disabled = true;
  }
  document.body.dataset.ready = "error";
}

start().catch((error: Error) => showStartError(error.message));
