import type { Client } from "@microsoft/microsoft-graph-client";
import { type SessionState, SessionStore } from "graph-workbook-session";
import { BehaviorSubject, distinctUntilChanged, map, type Observable } from "rxjs";
import { selectState } from "../../src/store/select-state";
import { StateContainer } from "../../src/store/state-container";
import { TARGETS } from "../budgets";
import { count, ratio } from "../format";
import { median } from "../support/stats";
import { judge, type Row } from "../table";

const SUBSCRIBERS = 1_000;
/** Subscribers of each kind: this many on the whole state, as many on a selector of their own. */
const HALF = SUBSCRIBERS / 2;
const CYCLES_PER_BATCH = 50;
const ROUND_MS = 200;
const ROUNDS = 6;

const status = (state: SessionState) => state.status;

/**
 * Dispatch cost, in real time on the CPU: state changes per second reaching
 * 1,000 subscribers, half on the whole state, half each on a selector of its
 * own. The floor is a bare `BehaviorSubject` fed spread copies of the same
 * states, with the same mix of subscribers (plain rxjs `map` and
 * `distinctUntilChanged` selectors, nothing shared). Rounds alternate between
 * a path and the floor; the figure is the median of the rounds' ratios.
 */
export async function measureDispatch(): Promise<Row[]> {
  const internal = await compare(containerWithSubscribers());
  const publicApi = await compare(storeWithSubscribers());
  return [dispatchRow(internal), publicApiRow(publicApi)];
}

function dispatchRow({ ours, floor, ratio: figure }: Comparison): Row {
  return {
    measurement: `dispatch: ${count(SUBSCRIBERS)} subscribers`,
    figure: `${ratio(figure)} floor (${changesPerSecond(ours)} vs ${changesPerSecond(floor)})`,
    target: `≥ ${ratio(TARGETS.dispatch)}`,
    guard: "—",
    verdict: judge(figure >= TARGETS.dispatch),
    note:
      `Dispatch: state changes per second reaching ${count(SUBSCRIBERS)} subscribers ` +
      `(${HALF} on state$, ${HALF} each on a selector of its own), through the store's ` +
      "state container, its immer reducer and the operator chain select() uses; the floor is " +
      "a BehaviorSubject fed object spreads with the same subscriber mix (rxjs map + " +
      "distinctUntilChanged selectors). Real time, median of paired rounds.",
  };
}

function publicApiRow({ ours, floor, ratio: figure }: Comparison): Row {
  return {
    measurement: "dispatch: via open()/close()",
    figure: `${ratio(figure)} floor (${changesPerSecond(ours)} vs ${changesPerSecond(floor)})`,
    target: "—",
    guard: "—",
    verdict: "info",
    note:
      "The same subscribers on a SessionStore, its changes made through the public API: " +
      "open() then close() on a client answering at once from memory. Counts the work of " +
      "opening and closing too (promises, the response body, timers), so it is not a dispatch " +
      "figure.",
  };
}

function changesPerSecond(rate: number): string {
  return `${count(rate)}/s`;
}

interface Comparison {
  readonly ours: number;
  readonly floor: number;
  /** The median of the rounds' ratios: each round pairs a path with the floor run next to it. */
  readonly ratio: number;
}

/** Changes per second of a path and of the floor, medians of alternating rounds. */
async function compare(path: Driven & { dispose(): Promise<void> }): Promise<Comparison> {
  const floor = subjectWithSubscribers();
  const ours: number[] = [];
  const floors: number[] = [];
  await measureRound(path); // warm-up
  await measureRound(floor);
  for (let round = 0; round < ROUNDS; round += 1) {
    ours.push(await measureRound(path));
    floors.push(await measureRound(floor));
  }
  await path.dispose();
  const ratios = ours.map((rate, round) => rate / (floors[round] ?? Number.NaN));
  return { ours: median(ours), floor: median(floors), ratio: median(ratios) };
}

interface Driven {
  /** Makes one or more state changes. */
  readonly cycle: () => Promise<void> | undefined;
  /** State changes delivered so far, counted by one subscriber. */
  readonly changes: () => number;
}

/**
 * Subscribes the mix to a state stream: one that counts changes, the rest of
 * the first half on the whole state, the second half each on a selector of its own.
 */
function subscribeMix(
  state$: Observable<SessionState>,
  select: (state$: Observable<SessionState>) => Observable<unknown>,
): () => number {
  const sink = { last: null as unknown };
  let changes = -1; // the first delivery is the current state, not a change
  state$.subscribe(() => {
    changes += 1;
  });
  for (let index = 1; index < SUBSCRIBERS; index += 1) {
    if (index < HALF) state$.subscribe((state) => (sink.last = state));
    else select(state$).subscribe((value) => (sink.last = value));
  }
  return () => changes;
}

/**
 * The store's state container and reducer (not public API) with the mix, its
 * selectors built by the same function as `SessionStore.select`. Each cycle
 * dispatches the actions open() and close() dispatch when all goes well.
 */
function containerWithSubscribers(): Driven & { dispose(): Promise<void> } {
  const container = new StateContainer(() => undefined);
  const changes = subscribeMix(container.state$, (state$) => selectState(state$, status));
  let sessions = 0;
  const cycle = () => {
    sessions += 1;
    container.dispatch({ type: "create-requested" });
    container.dispatch({ type: "attempt-started", attempt: 1, sendsAt: null });
    container.dispatch({ type: "created", session: { id: `s${sessions}`, persistChanges: true } });
    container.dispatch({ type: "reset" });
    return undefined;
  };
  return { cycle, changes, dispose: async () => container.complete() };
}

/** A store with the mix, its selectors from `select()`. */
function storeWithSubscribers(): Driven & { dispose(): Promise<void> } {
  const store = new SessionStore({ client: instantClient(), workbook: "/me/drive/items/01CPU" });
  const changes = subscribeMix(store.state$, () => store.select(status));
  const cycle = async () => {
    await store.open();
    await store.close();
  };
  return { cycle, changes, dispose: () => store.dispose() };
}

/** The floor: a `BehaviorSubject` fed spread copies of the same three states. */
function subjectWithSubscribers(): Driven {
  const idle: SessionState = Object.freeze({ status: "idle" });
  const subject = new BehaviorSubject<SessionState>(idle);
  const changes = subscribeMix(subject, (state$) =>
    state$.pipe(map(status), distinctUntilChanged()),
  );
  let sessions = 0;
  const creating = { status: "creating", attempt: 1, lastError: null, nextAttemptAt: null };
  const cycle = () => {
    sessions += 1;
    const session = { id: `s${sessions}`, persistChanges: true };
    subject.next({ ...subject.getValue(), ...creating, changesLost: false } as SessionState);
    subject.next({ ...subject.getValue(), status: "active", session } as SessionState);
    subject.next({ ...idle });
    return undefined;
  };
  return { cycle, changes };
}

/** Runs cycles in batches for one round, letting queued promise work finish between batches. */
async function measureRound({ cycle, changes }: Driven): Promise<number> {
  const before = changes();
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let index = 0; index < CYCLES_PER_BATCH; index += 1) await cycle();
    await new Promise((resolve) => setImmediate(resolve));
    elapsed = performance.now() - started;
  }
  return ((changes() - before) * 1000) / elapsed;
}

/**
 * A Graph client that answers from memory at once: createSession with a new
 * session (201), everything else with 204. Only the calls the store makes exist.
 */
function instantClient(): Client {
  let sessions = 0;
  const api = (path: string) => {
    const request: Record<string, unknown> = {};
    const chain = () => request;
    for (const name of ["header", "option", "middlewareOptions", "responseType", "version"]) {
      request[name] = chain;
    }
    request.post = async () => {
      if (!path.endsWith("/createSession")) return new Response(null, { status: 204 });
      sessions += 1;
      const body = JSON.stringify({ id: `session-${sessions}`, persistChanges: true });
      return new Response(body, { status: 201, headers: { "content-type": "application/json" } });
    };
    return request;
  };
  return { api } as unknown as Client;
}
