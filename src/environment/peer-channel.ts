import { isBrowserPage } from "./default-environment";

/** What a {@link PeerChannel} hands its message listeners. */
export interface PeerMessageEvent {
  readonly data: unknown;
}

/**
 * A channel between the stores of one workbook in different tabs (or in one
 * page): a message posted by one store reaches every other store on the
 * channel, but not itself. A `BroadcastChannel` fits as it is.
 */
export interface PeerChannel {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: PeerMessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: PeerMessageEvent) => void): void;
}

/** A channel the store opens itself, and closes when it is disposed. */
interface OwnedChannel extends PeerChannel {
  close(): void;
}

type BroadcastChannelConstructor = new (name: string) => OwnedChannel;

interface GlobalScope {
  readonly BroadcastChannel?: BroadcastChannelConstructor;
  readonly process?: { readonly versions?: { readonly node?: unknown } };
}

/**
 * The channel a store uses when given none: a `BroadcastChannel` named after
 * the Graph host and the workbook, in a browser page that has one; otherwise
 * none. Looks at `globalThis` on each call, never at import.
 *
 * A DOM emulated under Node (jsdom, happy-dom) is not a page: Node's own
 * `BroadcastChannel` reaches every worker thread of the process, so test
 * files running side by side would hear each other.
 */
export function defaultPeerChannel(
  graphBaseUrl: string,
  workbookPath: string,
): OwnedChannel | null {
  const scope = globalThis as GlobalScope;
  const underNode = typeof scope.process?.versions?.node === "string";
  if (!isBrowserPage() || underNode || typeof scope.BroadcastChannel !== "function") return null;
  return new scope.BroadcastChannel(peerChannelName(graphBaseUrl, workbookPath));
}

/** The name of the default channel: one per Graph host and workbook. */
export function peerChannelName(graphBaseUrl: string, workbookPath: string): string {
  return `graph-workbook-session ${new URL(graphBaseUrl).origin}${workbookPath}`;
}
