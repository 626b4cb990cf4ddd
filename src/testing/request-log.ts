import type { MutableRecordedRequest, RecordedRequest } from "./recorded-request";
import type { RouteName } from "./route-name";

/** The requests the emulator received, in arrival order, the oldest forgotten past a limit. */
export class RequestLog {
  private entries: MutableRecordedRequest[] = [];
  private lastSeq = 0;

  /** @param limit Most requests kept; `Infinity` keeps them all. */
  constructor(private readonly limit: number) {}

  /** Stores a request, numbering it; the returned record is updated when it is answered. */
  add(request: Omit<MutableRecordedRequest, "seq" | "answeredWith">): MutableRecordedRequest {
    this.lastSeq += 1;
    const record = { seq: this.lastSeq, ...request, answeredWith: null };
    if (this.limit === 0) return record;

    this.entries.push(record);
    if (this.entries.length > this.limit) this.entries.shift();
    return record;
  }

  /** A copy of every stored request. */
  all(): readonly RecordedRequest[] {
    return [...this.entries];
  }

  /** The stored requests for one route. */
  to(route: RouteName | "unknown"): readonly RecordedRequest[] {
    return this.entries.filter((entry) => entry.route === route);
  }

  /** Forgets the stored requests; numbering carries on. */
  clear(): void {
    this.entries = [];
  }
}
