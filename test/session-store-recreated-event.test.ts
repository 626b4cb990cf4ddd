import {
  Client,
  type Context,
  HTTPMessageHandler,
  type Middleware,
} from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import {
  CANARY_TOKEN,
  driveUntilSettled,
  eventsOf,
  listSheets,
  openSession,
  recordEvents,
  SESSION_RECREATABLE,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

/**
 * Sends the canary token, and makes Graph grant the first session non-persistent (its answer
 * says persistChanges: false, as Graph does for a user who may only read); later ones persist.
 */
class GrantFirstSessionNonPersistent implements Middleware {
  #next: Middleware | undefined;
  #granted = false;
  setNext(next: Middleware): void {
    this.#next = next;
  }
  async execute(context: Context): Promise<void> {
    context.options ??= {};
    const options = context.options as RequestInit;
    const headers = new Headers(options.headers);
    headers.set("Authorization", `Bearer ${CANARY_TOKEN}`);
    options.headers = headers;
    await this.#next!.execute(context);
    const url = typeof context.request === "string" ? context.request : context.request.url;
    const response = context.response;
    if (this.#granted || !url.includes("/createSession") || response?.status !== 201) return;
    this.#granted = true;
    const body = (await response.json()) as Record<string, unknown>;
    context.response = new Response(JSON.stringify({ ...body, persistChanges: false }), {
      status: 201,
      headers: response.headers,
    });
  }
}

describe("a persistent session recreated after a non-persistent one was dropped and the store reopened", () => {
  it("says in its recreated event that the replaced (persistent) session lost no changes", async () => {
    useVirtualTime();
    const client = Client.initWithMiddleware({
      baseUrl: `${h.emulator.url}/`,
      customHosts: new Set([new URL(h.emulator.url).hostname]),
      middleware: [new GrantFirstSessionNonPersistent(), new HTTPMessageHandler()],
    } as never);
    const store = h.store({ client });
    const events = recordEvents(store);
    const first = await openSession(store);
    expect(first.persistChanges).toBe(false);

    h.emulator.fault("worksheets", { status: 401 });
    await driveUntilSettled(
      store.request(listSheets).catch((e: unknown) => e),
      50,
    );
    expect(store.getState()).toMatchObject({ status: "failed", changesLost: true });

    const second = await openSession(store);
    expect(second.persistChanges).toBe(true);

    h.emulator.fault("worksheets", SESSION_RECREATABLE);
    await driveUntilSettled(store.request(listSheets), 50);
    // The expired event and the recreated event both speak of the persistent session.
    expect(eventsOf(events, "expired").map((e) => e.changesLost)).toEqual([false]);
    const [recreated] = eventsOf(events, "recreated");
    expect(recreated?.previousSessionId).toBe(second.id);
    expect(recreated?.changesLost).toBe(false);
  });
});
