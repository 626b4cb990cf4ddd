import type { PeerChannel, PeerMessageEvent } from "graph-workbook-session";
import { WORKBOOK } from "./harness";

type Listener = (event: PeerMessageEvent) => void;

/**
 * Channels that reach each other in memory, as a `BroadcastChannel` of one
 * name reaches the other tabs: a message goes to every other channel of the
 * hub, never back to its sender, as a copy, after the current task.
 */
export function memoryPeers() {
  const channels = new Set<MemoryChannel>();
  const posted: unknown[] = [];

  class MemoryChannel implements PeerChannel {
    readonly listeners = new Set<Listener>();

    postMessage(message: unknown): void {
      posted.push(message);
      for (const channel of channels) {
        if (channel === this) continue;
        const data = structuredClone(message);
        queueMicrotask(() => {
          for (const listener of channel.listeners) listener({ data });
        });
      }
    }

    addEventListener(_type: "message", listener: Listener): void {
      this.listeners.add(listener);
    }

    removeEventListener(_type: "message", listener: Listener): void {
      this.listeners.delete(listener);
    }
  }

  return {
    /** Every message posted on the hub, in order. */
    posted,
    /** A new channel on the hub. */
    channel(): MemoryChannel {
      const channel = new MemoryChannel();
      channels.add(channel);
      return channel;
    },
    /** Listeners still attached across the hub's channels. */
    listenerCount(): number {
      let count = 0;
      for (const channel of channels) count += channel.listeners.size;
      return count;
    },
    /** Sends `data` to every channel of the hub as if another tab had posted it. */
    deliver(data: unknown): void {
      for (const channel of channels) for (const listener of channel.listeners) listener({ data });
    },
  };
}

/** What stores of the test workbook call it in messages (its client addresses Graph's host). */
export const PEER_KEY = `graph-workbook-session https://graph.microsoft.com${WORKBOOK}`;

/** A well-formed message from another store of the test workbook. */
export function fromPeer(type: string, fields: Record<string, unknown> = {}) {
  return { type: `graph-workbook-session/${type}`, workbook: PEER_KEY, from: "peer", ...fields };
}

/** Another store's createSession, sent now, that met a 503. */
export function peerFailure(fields: Record<string, unknown> = {}) {
  return fromPeer("create-failed", {
    triedAt: Date.now(),
    kind: "transient",
    status: 503,
    code: "serviceNotAvailable",
    retryAfterMs: null,
    ...fields,
  });
}
