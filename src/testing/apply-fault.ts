import type { Exchange } from "./exchange";
import type { Fault } from "./fault";
import { ANSWER_FIELDS } from "./fault-effect";
import { graphErrorSpec } from "./graph-error-spec";

/**
 * Plays a fault on an exchange: waits out its delay, then drops, hangs or answers with it.
 * Returns false when the fault only delays (or adds headers) and the route should still answer.
 */
export async function applyFault(exchange: Exchange, fault: Fault): Promise<boolean> {
  if (fault.delayMs !== undefined && fault.delayMs > 0) await sleep(fault.delayMs);
  if (fault.truncateAfter !== undefined) exchange.cutOffAfter(fault.truncateAfter);

  if (fault.drop) exchange.drop();
  else if (fault.hang) exchange.hang();
  else if (answers(fault)) answerWith(exchange, fault);
  else {
    exchange.addHeaders(fault.headers ?? {});
    return false;
  }
  return true;
}

function answers(fault: Fault): boolean {
  return ANSWER_FIELDS.some((field) => fault[field] !== undefined);
}

function answerWith(exchange: Exchange, fault: Fault): void {
  const status = fault.status ?? 500;
  const retryAfter = fault.retryAfter === undefined ? {} : { "retry-after": `${fault.retryAfter}` };
  const headers = { ...retryAfter, ...fault.headers };

  if (fault.body !== undefined) {
    const contentType = fault.contentType ?? "text/plain; charset=utf-8";
    exchange.raw(status, fault.body, { "content-type": contentType, ...headers });
    return;
  }
  const contentType = fault.contentType === undefined ? {} : { "content-type": fault.contentType };
  exchange.error(faultSpec(status, fault), { ...contentType, ...headers });
}

function faultSpec(status: number, fault: Fault) {
  const innermost = fault.innermostCode === undefined ? undefined : { code: fault.innermostCode };
  return graphErrorSpec(status, {
    code: fault.code,
    message: fault.message,
    innerCode: fault.innerCode,
    innermost,
  });
}

/** Waits with the global timer, so tests that fake timers control the delay. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
