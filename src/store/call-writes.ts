import type { GraphRequest } from "@microsoft/microsoft-graph-client";

/* The GraphRequest methods that send a write; `create`, `update` and `del` call these. */
const WRITE_METHODS = {
  post: "POST",
  put: "PUT",
  patch: "PATCH",
  delete: "DELETE",
  putStream: "PUT",
} as const;

type Sender = (...args: unknown[]) => Promise<unknown>;

interface SentWrite {
  readonly method: string;
  outcome: "pending" | "done" | "failed";
  failure?: unknown;
}

/**
 * The writes one try of a workbook call sent through its `api`, so the store
 * can tell whether sending the whole call again would repeat one that Graph
 * carried out.
 */
export class CallWrites {
  readonly #sent: SentWrite[] = [];

  /** Makes the writes sent through `request` known here; reads go through untouched. */
  watch(request: GraphRequest): GraphRequest {
    const senders = request as unknown as Record<string, Sender>;
    for (const [name, method] of Object.entries(WRITE_METHODS)) {
      const send = senders[name];
      if (typeof send !== "function") continue;
      senders[name] = (...args) => this.#record(method, send.apply(request, args));
    }
    return request;
  }

  /**
   * The method of the first write that Graph carried out, or may have: one that
   * succeeded, is still on the wire, or failed in a way `mayHaveBeenApplied`
   * accepts. The write that failed with `failure` itself is left out, since the
   * failure speaks for it. Null when there is none.
   */
  firstApplied(failure: unknown, mayHaveBeenApplied: (error: unknown) => boolean): string | null {
    const applied = this.#sent.find(
      (write) =>
        write.outcome !== "failed" ||
        (write.failure !== failure && mayHaveBeenApplied(write.failure)),
    );
    return applied?.method ?? null;
  }

  #record(method: string, pending: Promise<unknown>): Promise<unknown> {
    const write: SentWrite = { method, outcome: "pending" };
    this.#sent.push(write);
    // Handled here, before the call sees it, so the outcome is known when the call fails.
    pending.then(
      () => {
        write.outcome = "done";
      },
      (error: unknown) => {
        write.outcome = "failed";
        write.failure = error;
      },
    );
    return pending;
  }
}
