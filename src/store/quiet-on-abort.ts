import type { GraphRequest } from "@microsoft/microsoft-graph-client";

/*
 * Every GraphRequest method that sends. `create`, `update` and `del` call `post`,
 * `patch` and `delete`, but return promises of their own, which need quieting too.
 */
const SENDERS = [
  "get",
  "post",
  "put",
  "patch",
  "delete",
  "create",
  "update",
  "del",
  "getStream",
  "putStream",
] as const;

type Sender = (...args: unknown[]) => unknown;

/**
 * Once `signal` aborts, the promises of requests sent through `request` count as
 * handled. The store aborts a try that failed, and a request the call left
 * unawaited would otherwise report the store's own abort as an unhandled
 * rejection, which ends a Node process. A call that awaits its requests sees
 * the rejection as before.
 */
export function quietOnAbort(request: GraphRequest, signal: AbortSignal): GraphRequest {
  const senders = request as unknown as Record<string, Sender>;
  for (const name of SENDERS) {
    const send = senders[name];
    if (typeof send !== "function") continue;
    senders[name] = (...args) => {
      const sent = send.apply(request, args);
      if (sent instanceof Promise) whenAborted(signal, () => sent.catch(() => undefined));
      return sent;
    };
  }
  return request;
}

function whenAborted(signal: AbortSignal, act: () => void): void {
  if (signal.aborted) act();
  else signal.addEventListener("abort", act, { once: true });
}
