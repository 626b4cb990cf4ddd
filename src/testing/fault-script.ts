import { checkFault } from "./check-fault";
import type { Fault, FaultTarget } from "./fault";
import type { RecordedRequest } from "./recorded-request";
import type { RouteName } from "./route-name";
import { isRouteName } from "./route-name";

interface QueuedFault {
  readonly fault: Fault;
  remaining: number;
}

/**
 * Per-route queues of scripted faults. A request consumes the first fault of its route's queue
 * that matches it, or else the first matching fault queued under `"*"`.
 */
export class FaultScript {
  private readonly queues = new Map<FaultTarget, QueuedFault[]>();

  /** Appends faults to a route's queue, checking the route name and every fault first. */
  add(target: FaultTarget, faults: readonly Fault[]): void {
    if (target !== "*" && !isRouteName(target)) {
      throw new TypeError(`Unknown emulator route "${String(target)}"; use a RouteName or "*".`);
    }
    const checked = faults.map(checkFault);
    const queue = this.queues.get(target) ?? [];
    this.queues.set(target, queue);
    queue.push(...checked.map((fault) => ({ fault, remaining: fault.times ?? 1 })));
  }

  /** Takes the fault that applies to this request, if any, using up one of its times. */
  take(route: RouteName | "unknown", request: RecordedRequest): Fault | undefined {
    const own = route === "unknown" ? undefined : this.takeFrom(route, request);
    return own ?? this.takeFrom("*", request);
  }

  /** Drops every queued fault. */
  clear(): void {
    this.queues.clear();
  }

  private takeFrom(target: FaultTarget, request: RecordedRequest): Fault | undefined {
    const queue = this.queues.get(target) ?? [];
    const index = queue.findIndex(({ fault }) => fault.match?.(request) ?? true);
    const queued = queue[index];
    if (queued === undefined) return undefined;

    queued.remaining -= 1;
    if (queued.remaining <= 0) queue.splice(index, 1);
    return queued.fault;
  }
}
