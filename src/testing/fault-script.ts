import { describeValue } from "../options/read-option";
import { checkFault } from "./check-fault";
import type { Fault, FaultTarget } from "./fault";
import type { RecordedRequest } from "./recorded-request";
import type { RouteName } from "./route-name";
import { isRouteName, ROUTE_NAMES } from "./route-name";

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
    checkTarget(target);
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

function checkTarget(target: unknown): asserts target is FaultTarget {
  if (typeof target !== "string") {
    throw new TypeError(
      `fault() takes the route name first, then the faults, as in ` +
        `fault("createSession", { status: 429 }); got ${describeValue(target)} as the route.`,
    );
  }
  if (target === "*" || isRouteName(target)) return;
  const names = ROUTE_NAMES.map((name) => `"${name}"`).join(", ");
  throw new TypeError(
    `Unknown emulator route ${describeValue(target)}; use one of ${names}, ` +
      `or "*" for every route.`,
  );
}
