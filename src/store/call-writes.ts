import type { GraphRequest } from "@microsoft/microsoft-graph-client";
import { type FailedAnswer, mayHaveBeenApplied } from "../errors/may-have-been-applied";

/* The GraphRequest methods that send a write; `create`, `update` and `del` call these. */
const WRITE_METHODS = {
  post: "POST",
  put: "PUT",
  patch: "PATCH",
  delete: "DELETE",
  putStream: "PUT",
} as const;

type Sender = (...args: unknown[]) => Promise<unknown>;
type Callback = (error: unknown, response?: unknown, rawResponse?: unknown) => void;

interface SentWrite {
  readonly method: string;
  outcome: "pending" | "answered" | "failed";
  /** The HTTP status, when the call read the raw answer; a parsed body means a success. */
  status?: number;
  failure?: unknown;
}

/**
 * The writes a workbook call sent through its `api` in its latest try, so the
 * store can tell whether running the whole call again would repeat one that
 * Graph carried out. One per call, whose log starts over with each try.
 */
export class CallWrites {
  #sent: SentWrite[] = [];

  /** Starts the log of a new try. */
  startTry(): void {
    this.#sent = [];
  }

  /** Makes the writes sent through `request` known here; reads go through untouched. */
  watch(request: GraphRequest): GraphRequest {
    const senders = request as unknown as Record<string, Sender>;
    for (const [name, method] of Object.entries(WRITE_METHODS)) {
      const send = senders[name];
      if (typeof send !== "function") continue;
      senders[name] = (...args) => this.#send(method, send, request, args);
    }
    return request;
  }

  /**
   * The method of the first write of the latest try that Graph carried out, or
   * may have: one still on the wire, answered with a success, or failed in a
   * way that may have applied it (judged on `classify`'s reading of its error).
   * The write that failed with `failure` itself is left out, since the failure
   * speaks for it. Null when there is none.
   */
  firstApplied(failure: unknown, classify: (error: unknown) => FailedAnswer): string | null {
    const applied = this.#sent.find((write) => {
      if (write.outcome === "pending") return true;
      if (write.outcome === "answered") {
        return (
          write.status === undefined ||
          mayHaveBeenApplied({ status: write.status, innerCode: null })
        );
      }
      return write.failure !== failure && mayHaveBeenApplied(classify(write.failure));
    });
    return applied?.method ?? null;
  }

  #send(method: string, send: Sender, request: GraphRequest, args: unknown[]): Promise<unknown> {
    const write: SentWrite = { method, outcome: "pending" };
    this.#sent.push(write);

    // With a callback, the Graph client hands the error to it and rejects with nothing.
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === "function") {
      args[last] = ((error, response, rawResponse) => {
        settle(write, error, response);
        return (callback as Callback)(error, response, rawResponse);
      }) satisfies Callback;
    }

    // Settled here, before the call sees the outcome; the call gets a promise of its own,
    // so one it leaves unhandled is still reported as unhandled.
    return send.apply(request, args).then(
      (response) => {
        settle(write, null, response);
        return response;
      },
      (error: unknown) => {
        settle(write, error ?? new Error("The request failed."), undefined);
        throw error;
      },
    );
  }
}

/* The first outcome counts: the callback's, which comes before the promise's. */
function settle(write: SentWrite, error: unknown, response: unknown): void {
  if (write.outcome !== "pending") return;
  if (error !== null && error !== undefined) {
    write.outcome = "failed";
    write.failure = error;
    return;
  }
  write.outcome = "answered";
  if (isRawResponse(response)) write.status = response.status;
}

function isRawResponse(value: unknown): value is { status: number } {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { status?: unknown; ok?: unknown };
  return typeof candidate.status === "number" && typeof candidate.ok === "boolean";
}
