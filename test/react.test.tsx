// @vitest-environment happy-dom
import { act, cleanup, render } from "@testing-library/react";
import {
  SessionRegistry,
  type SessionState,
  type SessionStatus,
  type SessionStore,
} from "graph-workbook-session";
import {
  type SessionSource,
  useSessionState,
  useSessionStatus,
  useWorkbookStore,
} from "graph-workbook-session/react";
import { Component, type ReactNode, StrictMode } from "react";
import { renderToString } from "react-dom/server";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { until, useHarness, WORKBOOK } from "./support/harness";

const h = useHarness();

// Registered after the harness, so it runs before the harness disposes the stores.
afterEach(cleanup);

/** A component's props: the store it reads, and the values it rendered, one per render. */
interface ProbeProps<T> {
  readonly store: SessionSource;
  readonly renders: T[];
}

function Status({ store, renders }: ProbeProps<SessionStatus>) {
  const state = useSessionState(store);
  renders.push(state.status);
  return <output>{state.status}</output>;
}

function SessionId({ store, renders }: ProbeProps<string | null>) {
  // An inline selector, so the hook gets a new one on every render.
  const id = useSessionState(store, (state) => sessionIdOf(state));
  renders.push(id);
  return <output>{id ?? "none"}</output>;
}

interface Usability {
  readonly usable: boolean;
}

function Usable({ store, renders }: ProbeProps<Usability>) {
  const usability = useSessionState(
    store,
    (state): Usability => ({ usable: state.status === "active" }),
    (a, b) => a.usable === b.usable,
  );
  renders.push(usability);
  return <output>{String(usability.usable)}</output>;
}

function Summary({ store, renders }: ProbeProps<Usability>) {
  const summary = useSessionState(store, summarize);
  renders.push(summary);
  return <output>{String(summary.usable)}</output>;
}

/** A selector that builds a new object on every call. */
function summarize(state: SessionState): Usability {
  return { usable: state.status === "active" };
}

function StatusBadge({ store, renders }: ProbeProps<SessionStatus>) {
  const status = useSessionStatus(store);
  renders.push(status);
  return <output>{status}</output>;
}

function sessionIdOf(state: SessionState): string | null {
  return state.status === "active" ? state.session.id : null;
}

/** A source that forwards to `store` and counts the listeners still subscribed. */
function countingSource(store: SessionStore): SessionSource & { readonly listeners: () => number } {
  let listeners = 0;
  return {
    getState: () => store.getState(),
    subscribe(listener) {
      listeners += 1;
      const unsubscribe = store.subscribe(listener);
      return () => {
        listeners -= 1;
        unsubscribe();
      };
    },
    listeners: () => listeners,
  };
}

/** Starts opening the session in one act, so React renders `creating` before it settles. */
function startOpening(store: SessionStore): Promise<unknown> {
  let opening: Promise<unknown> = Promise.resolve();
  act(() => {
    opening = store.open();
  });
  return opening;
}

describe("useSessionState", () => {
  it("renders the current state and each change through creating to active", async () => {
    const store = h.store();
    const renders: SessionStatus[] = [];
    const view = render(<Status store={store} renders={renders} />);
    expect(view.container.textContent).toBe("idle");

    const opening = startOpening(store);
    expect(view.container.textContent).toBe("creating");
    await act(() => opening);
    expect(view.container.textContent).toBe("active");

    await act(() => store.close());
    expect(view.container.textContent).toBe("idle");
    expect(renders).toEqual(["idle", "creating", "active", "idle"]);
  });

  it("re-renders a selector's component only when the selected value changes", async () => {
    const store = h.store();
    const idRenders: (string | null)[] = [];
    const stateRenders: SessionStatus[] = [];
    const view = render(
      <>
        <SessionId store={store} renders={idRenders} />
        <Status store={store} renders={stateRenders} />
      </>,
    );

    const opening = startOpening(store);
    await act(() => opening);
    const id = sessionIdOf(store.getState());
    await act(() => store.close());

    expect(id).toEqual(expect.any(String));
    expect(stateRenders.length).toBeGreaterThan(idRenders.length);
    expect(idRenders).toEqual([null, id, null]);
    expect(view.container.textContent).toBe("noneidle");
  });

  it("keeps an equal selection, so a selector building a new object neither loops nor re-renders", async () => {
    const consoleError = vi.spyOn(console, "error");
    const store = h.store();
    const selections: Usability[] = [];
    const view = render(<Usable store={store} renders={selections} />);

    view.rerender(<Usable store={store} renders={selections} />);
    const opening = startOpening(store);
    await act(() => opening);

    expect(selections).toHaveLength(3);
    expect(selections[1]).toBe(selections[0]);
    expect(selections[2]).toEqual({ usable: true });
    expect(view.container.textContent).toBe("true");
    expect(consoleError).not.toHaveBeenCalled();
  });

  it("runs a selector once per state, so a new object from it is not a new value", async () => {
    const consoleError = vi.spyOn(console, "error");
    const store = h.store();
    const summaries: Usability[] = [];
    const view = render(<Summary store={store} renders={summaries} />);

    view.rerender(<Summary store={store} renders={summaries} />);
    await act(() => store.open());

    // One render each for the mount, the parent's re-render, creating and active at most.
    expect(summaries.length).toBeLessThanOrEqual(4);
    expect(summaries[1]).toBe(summaries[0]);
    expect(summaries.at(-1)).toEqual({ usable: true });
    expect(consoleError).not.toHaveBeenCalled();
  });

  it("stops listening when the component unmounts", async () => {
    const store = h.store();
    const source = countingSource(store);
    const renders: SessionStatus[] = [];
    const view = render(<Status store={source} renders={renders} />);
    expect(source.listeners()).toBe(1);

    view.unmount();
    await store.open();

    expect(source.listeners()).toBe(0);
    expect(renders).toEqual(["idle"]);
  });

  it("follows a new store when the component is given one", async () => {
    const first = countingSource(h.store());
    const second = h.store();
    await second.open();
    const renders: SessionStatus[] = [];
    const view = render(<Status store={first} renders={renders} />);

    view.rerender(<Status store={second} renders={renders} />);

    expect(first.listeners()).toBe(0);
    expect(view.container.textContent).toBe("active");
  });

  it("renders the store's current state on the server", async () => {
    const store = h.store();
    const renders: SessionStatus[] = [];
    expect(renderToString(<Status store={store} renders={renders} />)).toBe(
      "<output>idle</output>",
    );

    const session = await store.open();

    expect(renderToString(<Status store={store} renders={renders} />)).toBe(
      "<output>active</output>",
    );
    expect(renderToString(<SessionId store={store} renders={[]} />)).toBe(
      `<output>${session.id}</output>`,
    );
  });
});

describe("useSessionStatus", () => {
  it("re-renders only when the status changes", async () => {
    const store = h.store({ retry: { retries: 2, baseDelay: 1, maxDelay: 1 } });
    h.emulator.fault("createSession", { status: 503, times: 1 });
    const renders: SessionStatus[] = [];
    const states: SessionState[] = [];
    store.subscribe((state) => states.push(state));
    render(<StatusBadge store={store} renders={renders} />);

    const opening = startOpening(store);
    await act(() => opening);

    expect(states.filter((state) => state.status === "creating").length).toBeGreaterThan(1);
    expect(renders).toEqual(["idle", "creating", "active"]);
  });
});

function Workbook({ registry, renders }: { registry: SessionRegistry; renders: string[] }) {
  const store = useWorkbookStore(registry, WORKBOOK);
  const status = useSessionStatus(store);
  renders.push(store ? status : "no store");
  return (
    <button type="button" onClick={() => store?.open().catch(() => undefined)}>
      {status}
    </button>
  );
}

function Holder(props: {
  registry: SessionRegistry;
  workbook: string;
  seen: [string, SessionStore | null][];
}) {
  props.seen.push([props.workbook, useWorkbookStore(props.registry, props.workbook)]);
  return null;
}

/** Catches what its children throw while rendering, as an app's error boundary would. */
class Boundary extends Component<{ children: ReactNode; caught: unknown[] }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override componentDidCatch(error: unknown) {
    this.props.caught.push(error);
  }

  override render() {
    return this.state.failed ? null : this.props.children;
  }
}

function NoStore() {
  return <output>{useSessionStatus(null)}</output>;
}

/** The emulator's record of POSTs to a route: happy-dom sends a CORS preflight before each. */
function posts(route: "createSession" | "closeSession") {
  return h.emulator.requestsTo(route).filter((request) => request.method === "POST");
}

describe("useWorkbookStore", () => {
  it("holds the workbook's shared store while mounted, through a development double mount", async () => {
    const registry = new SessionRegistry({ client: h.client, gracePeriod: 60_000 });
    const renders: string[] = [];

    const view = render(
      <StrictMode>
        <Workbook registry={registry} renders={renders} />
      </StrictMode>,
    );
    const shared = registry.acquire(WORKBOOK);
    await act(() => shared.store.open());

    expect(view.getByRole("button").textContent).toBe("active");
    expect(registry.size).toBe(1);
    expect(posts("createSession")).toHaveLength(1);
    shared.release();
    view.unmount();
    await registry.dispose();
  });

  it("releases its lease on unmount, so the store is disposed after the grace period", async () => {
    const registry = new SessionRegistry({ client: h.client, gracePeriod: 0 });
    const renders: string[] = [];

    const view = render(<Workbook registry={registry} renders={renders} />);
    await act(async () => view.getByRole("button").click());
    await until(() => view.getByRole("button").textContent === "active", "a session");
    view.unmount();

    expect(registry.size).toBe(0);
    await until(() => posts("closeSession").some((r) => r.answeredWith === 204), "closed");
    expect(renders[0]).toBe("no store");
    await registry.dispose();
  });

  it("never hands out the previous workbook's store after the workbook changes", async () => {
    const registry = new SessionRegistry({ client: h.client, gracePeriod: 60_000 });
    const seen: [string, SessionStore | null][] = [];
    const other = "/me/drive/items/01OTHERBOOK";

    const view = render(<Holder registry={registry} workbook={WORKBOOK} seen={seen} />);
    const first = seen.at(-1)?.[1];
    act(() => view.rerender(<Holder registry={registry} workbook={other} seen={seen} />));

    expect(first).not.toBeNull();
    expect(seen.filter(([workbook, store]) => workbook === other && store === first)).toEqual([]);
    expect(seen.at(-1)?.[1]).not.toBeNull();
    view.unmount();
    await registry.dispose();
  });

  it("takes the registry's new store when the one it holds is disposed", async () => {
    const registry = new SessionRegistry({ client: h.client });
    const seen: [string, SessionStore | null][] = [];
    render(<Holder registry={registry} workbook={WORKBOOK} seen={seen} />);
    const first = seen.at(-1)?.[1];

    await act(() => first?.dispose());

    const latest = seen.at(-1)?.[1];
    expect(latest).not.toBeNull();
    expect(latest).not.toBe(first);
    expect(latest?.disposed).toBe(false);
    await act(() => registry.dispose());
    expect(seen.at(-1)?.[1]).toBeNull();
  });

  it("still shows a wrong workbook address as an error after a store was replaced", async () => {
    const registry = new SessionRegistry({ client: h.client });
    const seen: [string, SessionStore | null][] = [];
    const caught: unknown[] = [];
    const view = render(
      <Boundary caught={caught}>
        <Holder registry={registry} workbook={WORKBOOK} seen={seen} />
      </Boundary>,
    );
    await act(() => seen.at(-1)?.[1]?.dispose());
    // React reports an error a boundary caught on console.error; kept off the test output.
    const reported = vi.spyOn(console, "error").mockImplementation(() => undefined);

    act(() =>
      view.rerender(
        <Boundary caught={caught}>
          <Holder
            registry={registry}
            workbook="https://contoso.sharepoint.com/x.xlsx"
            seen={seen}
          />
        </Boundary>,
      ),
    );

    expect(caught).toHaveLength(1);
    expect(reported).toHaveBeenCalled();
    reported.mockRestore();
    await registry.dispose();
  });

  it("reads a missing store as idle", () => {
    const view = render(<NoStore />);
    expect(view.container.textContent).toBe("idle");
  });
});

describe("hook types", () => {
  it("infers what a selector returns, and its equality's parameters", () => {
    const selectId = (source: SessionSource) => useSessionState(source, sessionIdOf);
    const selectPair = (source: SessionSource) =>
      useSessionState(
        source,
        (state) => [state.status, state.status === "failed"] as const,
        (a, b) => {
          expectTypeOf(a).toEqualTypeOf<readonly [SessionStatus, boolean]>();
          return a[0] === b[0];
        },
      );
    expectTypeOf(selectId).returns.toEqualTypeOf<string | null>();
    expectTypeOf(selectPair).returns.toEqualTypeOf<readonly [SessionStatus, boolean]>();
    expectTypeOf(useSessionStatus).returns.toEqualTypeOf<SessionStatus>();
  });

  it("returns the state read-only, and takes a store as a source", () => {
    const mutate = (source: SessionSource) => {
      const state = useSessionState(source);
      expectTypeOf(state).toEqualTypeOf<SessionState>();
      // @ts-expect-error the state's status cannot be assigned
      state.status = "idle";
    };
    expectTypeOf(mutate).returns.toEqualTypeOf<void>();
    expectTypeOf<SessionStore>().toExtend<SessionSource>();
  });
});
